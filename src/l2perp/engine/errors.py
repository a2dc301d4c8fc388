"""Hyperliquid's error texts, word for word, so that l2perp answers as the real venue does.

Client libraries match these strings, so a changed word or a missing full stop breaks them.
ccxt 4.5.90 (`ccxt/hyperliquid.py`, `exceptions['broad']`) turns a response into an exception
when the response *contains* one of its keys. Every key it lists is a prefix or substring of a
constant below. Keep them that way.

Where the texts go in a response:
- Per-order and per-cancel errors go in the batch answer, one entry for each order:
  `{"status":"ok","response":{"type":"order"|"cancel","data":{"statuses":[{"error": TEXT}]}}}`.
- An error that refuses the whole action (a nonce, the signer, an expired action, leverage,
  transfers, a payload error caught by pre-validation) is
  `{"status":"err","response": TEXT}`.
- A TWAP answer puts its error in `data.status.error`, not in `data.statuses`.

The asset suffix: errors for one order or cancel end in `" asset=<asset id>"`, appended after the
message's own punctuation. A message that ends in a full stop gives
`"Insufficient margin to place order. asset=4"`. A message without one gives
`"Price too far from oracle asset=4"`. Those constants contain the `{asset}` field. Spot asset ids
are 10000 + pair index. ASSET_SUFFIX shows the rule for a text that has no constant here.

Some constants are format strings with named fields. Call `.format(...)` on them:
- `{asset}`: the integer asset id.
- `{bid}`, `{ask}`: prices written the way the venue writes them, with no trailing ".0"
  ("64143@64144", "1800.1@1800.2", "0.004815@0.004818").
- `{address}`, `{user}`, `{vault}`, `{sender}`, `{destination}`: lower-case 0x addresses.
- `{nonce}`, `{bound}`, `{sent}`, `{cap}`, `{limit}`: integers.
- `{volume}`, `{required}`, `{traded}`, `{min_value}`: dollar amounts without the "$". The
  template already has it.
`$` is not special in str.format, so "${volume}" gives "$437.92".

SDKs add prefixes that are not part of the venue's text. For example, @nktkas/hyperliquid
adds "Order 0: " and ccxt adds "hyperliquid ". One recorded multi-sig/WebSocket path showed
"L1 error: " in front of USER_OR_API_WALLET_DOES_NOT_EXIST.

Each constant has a `# source:` comment. "observed" means a raw venue response quoted in the
named public file. A constant that nothing confirmed is marked `# unconfirmed`.
"""

from __future__ import annotations

# --------------------------------------------------------------------------------------------
# Shared suffix
# --------------------------------------------------------------------------------------------

# Appended to every per-order/per-cancel error (see module docstring).
ASSET_SUFFIX = " asset={asset}"
# source: observed on many per-order errors (ccxt/hyperliquid.py handle_errors comment
# "Insufficient margin to place order. asset=84"; riftresearch/hypercore-simulator-captures
# docs "Order could not immediately match against any resting orders. asset=10000")

# --------------------------------------------------------------------------------------------
# Order placement: price / size validation
# --------------------------------------------------------------------------------------------

PRICE_NOT_DIVISIBLE_BY_TICK = "Price must be divisible by tick size. asset={asset}"
# source: HL gitbook for-developers/api/error-responses (Tick); ccxt 4.5.90 hyperliquid.py
# exceptions.broad 'Price must be divisible by tick size.'; observed "... asset=3" in several repos.
# Also the answer for a price with more than 5 significant figures or too many decimals.

ORDER_HAS_INVALID_PRICE = "Order has invalid price."
# source: observed {"error": "Order has invalid price."} in many public bots (e.g. test fixtures
# quoting live responses); listed in HL binary strings ("Order has invalid price").

ORDER_HAS_INVALID_SIZE = "Order has invalid size."
# source: ccxt 4.5.90 exceptions.broad 'Order has invalid size'; riftresearch testnet
# observations ("per-order `Order has invalid size.`" for a size with too many decimals).

ORDER_HAS_ZERO_SIZE = "Order has zero size."
# source: ccxt 4.5.90 exceptions.broad 'Order has zero size.'; nktkas/hyperliquid live testnet
# test (_validateResponse) "Order 0: Order has zero size." (SDK adds "Order 0: ").

ORDER_MIN_VALUE_PERP = "Order must have minimum value of $10. asset={asset}"
# source: HL gitbook error-responses (MinTradeNtl, "Order must have minimum value of $10.");
# ccxt 4.5.90 exceptions.broad 'Order must have minimum value of $10'; observed
# "Order must have minimum value of $10. asset=214" (mainnet log fixture).

ORDER_MIN_VALUE_SPOT = "Order must have minimum value of 10 {quote_token}. asset={asset}"
# source: HL gitbook error-responses (MinTradeSpotNtl); observed on testnet
# "Order must have minimum value of 10 USDC. asset=10000" (riftresearch captures doc).

PRICE_TOO_FAR_FROM_REFERENCE = "Order price cannot be more than 80% away from the reference price"
# source: ccxt 4.5.90 exceptions.broad (exact text); observed in statuses[].error with no asset
# suffix (testnet smoke logs). Pre-validation band check.

PRICE_TOO_FAR_FROM_REFERENCE_95 = (
    "Order price cannot be more than 95% away from the reference price"
)
# source: observed in several 2025-2026 bots and MetaMask core changelog ("HyperLiquid rejects
# orders more than 95% away from the reference price"). Newer live variant. ccxt 4.5.90 matches
# only the 80% text, so l2perp should keep the 80% constant to stay ccxt-compatible.

PRICE_TOO_FAR_FROM_ORACLE = "Price too far from oracle asset={asset}"
# source: observed live "Price too far from oracle asset=4" (2026-08-20, quoted in a public
# venue-vocabulary file); the gitbook table words it "Order price too far from oracle" (Oracle).

PRICE_TOO_FAR_FROM_ORACLE_DOC = "Order price too far from oracle"
# source: HL gitbook error-responses (Oracle / oracleRejected), documented wording.

# --------------------------------------------------------------------------------------------
# Order placement: margin, matching, flags
# --------------------------------------------------------------------------------------------

INSUFFICIENT_MARGIN_TO_PLACE_ORDER = "Insufficient margin to place order. asset={asset}"
# source: HL gitbook error-responses (PerpMargin); ccxt 4.5.90 exceptions.broad
# 'Insufficient margin to place order.' (InsufficientFunds) and handle_errors comment
# "Insufficient margin to place order. asset=84".

REDUCE_ONLY_WOULD_INCREASE = "Reduce only order would increase position. asset={asset}"
# source: HL gitbook error-responses (ReduceOnly); ccxt 4.5.90 exceptions.broad; observed testnet
# {"error":"Reduce only order would increase position. asset=3"} (public research doc transcript).

POST_ONLY_WOULD_MATCH = (
    "Post only order would have immediately matched, bbo was {bid}@{ask}. asset={asset}"
)
# source: HL gitbook error-responses (BadAloPx, "... bbo was {bbo}."); ccxt 4.5.90
# exceptions.broad 'Post only order would have immediately matched,'; observed
# "Post only order would have immediately matched, bbo was 66621@66642. asset=3".

IOC_COULD_NOT_MATCH = "Order could not immediately match against any resting orders. asset={asset}"
# source: HL gitbook error-responses (IocCancel); ccxt 4.5.90 exceptions.broad; observed
# "... resting orders. asset=10000" (riftresearch testnet captures).

INVALID_TPSL_PRICE = "Invalid TP/SL price. asset={asset}"
# source: HL gitbook error-responses (BadTriggerPx); ccxt 4.5.90 exceptions.broad 'Invalid TP/SL
# price.'; observed "Invalid TP/SL price. asset=0" (hyperliquid-python-sdk issue #290).

NO_LIQUIDITY_FOR_MARKET_ORDER = "No liquidity available for market order. asset={asset}"
# source: HL gitbook error-responses (MarketOrderNoLiquidity); ccxt 4.5.90 exceptions.broad.
# Asset suffix inferred from the common per-order rule.

OPEN_INTEREST_CAPPED = (
    "Order would increase open interest while open interest is capped asset={asset}"
)
# source: HL gitbook error-responses (PositionIncreaseAtOpenInterestCap and
# PositionFlipAtOpenInterestCap share this text). Suffix placement follows the observed
# oracle case (message without a full stop).

OPEN_INTEREST_TOO_AGGRESSIVE = (
    "Order rejected due to price more aggressive than oracle while at open interest cap"
    " asset={asset}"
)
# source: HL gitbook error-responses (TooAggressiveAtOpenInterestCap); suffix as above.

OPEN_INTEREST_INCREASE_TOO_FAST = "Order would increase open interest too quickly asset={asset}"
# source: HL gitbook error-responses (OpenInterestIncrease); suffix as above.

PERP_MAX_POSITION = (
    "Order would cause position to exceed margin tier limit at current leverage asset={asset}"
)
# source: HL gitbook error-responses (PerpMaxPosition); suffix as above.

INSUFFICIENT_SPOT_BALANCE = "Insufficient spot balance asset={asset}"
# source: ccxt 4.5.90 exceptions.broad 'Insufficient spot balance asset' (InsufficientFunds).
# The gitbook documents "(Spot-only) Order has insufficient spot balance to trade".

TRADING_HALTED = "Trading is halted."
# source: observed {"error": "Trading is halted."} (public mainnet-log regression fixture,
# classify_order_responses tests); also in HL binary strings ("Trading is halted.").

ASSET_DELISTED = "Trading is halted."
# unconfirmed: no delisting-specific text was found anywhere. This assumes orders on a
# delisted/halted asset get TRADING_HALTED.

ONLY_POST_ONLY_AFTER_UPGRADE = "Only post-only orders allowed immediately after a network upgrade"
# source: hummingbot/hummingbot issue #6730 (live error text in the title).
POST_ONLY_MODE = ONLY_POST_ONLY_AFTER_UPGRADE + " asset={asset}"
# l2perp: the per-order form (with the asset suffix) during devnet post-only mode (devPostOnly).

DUPLICATE_CLOID = "Duplicate cloid."
# unconfirmed: no public record of HL's text. Testnet captures (riftresearch) show that a
# cloid whose order is terminal may be reused.

# --------------------------------------------------------------------------------------------
# Cancel / modify
# --------------------------------------------------------------------------------------------

ORDER_NOT_FOUND_FOR_CANCEL = "Order was never placed, already canceled, or filled. asset={asset}"
# source: HL gitbook error-responses (Cancel / MissingOrder); ccxt 4.5.90 exceptions.broad
# (OrderNotFound); nktkas/hyperliquid live testnet test "Order 0: Order was never placed,
# already canceled, or filled. asset=0".

CANNOT_MODIFY_CANCELED_OR_FILLED = "Cannot modify canceled or filled order"
# source: observed testnet {"status":"err","response":"Cannot modify canceled or filled order"}
# (public agent-authority research transcript, run 2 step C4). No full stop.

MODIFY_PLACE_FAILED = "Error placing new order during modify: {reason}"
# source: quoted prefix in a public Rust replay engine ("Error placing new order during
# modify: ..."). Medium confidence: {reason} wording is assumed to be the order error text.

# --------------------------------------------------------------------------------------------
# TWAP
# --------------------------------------------------------------------------------------------

TWAP_VALUE_TOO_SMALL = "TWAP order value too small. Min is ${min_value}, which is $10 per minute."
# source: ccxt 4.5.90 exceptions.broad "TWAP order value too small. Min is $1200, which is $10
# per minute." (min_value = 10 x minutes).

TWAP_NOT_FOUND = "TWAP was never placed, already canceled, or filled."
# source: ccxt 4.5.90 exceptions.broad (OrderNotFound).

TWAP_REDUCE_ONLY_WOULD_INCREASE = "Reduce-only TWAP order would increase position."
# source: observed testnet {"status":{"error":"Reduce-only TWAP order would increase position."}}
# (public agent-authority research transcript, step 7p).

TWAP_INVALID_DURATION = "TWAP duration must be between 5 and 1440 minutes."
# unconfirmed: l2perp's text; the bounds are Hyperliquid's (its UI and SDKs: 5 minutes to a day).

TWAP_TOO_MANY_RUNNING = "Too many running TWAPs: at most {limit}."
# l2perp: a per-user cap on running TWAPs (each costs block-time work).

# --------------------------------------------------------------------------------------------
# Leverage and isolated margin
# --------------------------------------------------------------------------------------------

INVALID_LEVERAGE = "Invalid leverage value"
# source: venue string recorded in a public HL adapter's tests (ADR-0044) and a bot changelog
# noting it for leverage above the coin's maxLeverage. No full stop. Used for leverage < 1 or
# leverage > maxLeverage.

CANNOT_SWITCH_LEVERAGE_TYPE = "Cannot switch leverage type with open position."
# source: observed testnet {"status":"err","response":"Cannot switch leverage type with open
# position."} (research transcript step 5c); many bots match it.

CROSS_MARGIN_NOT_ALLOWED = "Cross margin is not allowed for this asset."
# source: HL node binary strings (public reverse-engineering notes). Medium confidence.

CROSS_DECREASE_LEVERAGE_INSUFFICIENT_MARGIN = (
    "Cross position does not have sufficient margin available to decrease leverage."
    " To decrease leverage, deposit more collateral."
)
# source: HL node binary strings (public reverse-engineering notes). Medium confidence.

ISOLATED_DECREASE_LEVERAGE_INSUFFICIENT_MARGIN = (
    "Isolated position does not have sufficient margin available to decrease leverage."
    " To decrease leverage, add margin to the position."
)
# source: venue string in several public test suites (mocked update_leverage error response,
# ADR-0044 recorded strings); HL binary strings; MetaMask perps ERROR_MAPPINGS (prefix).

ISOLATED_MARGIN_INSUFFICIENT_FOR_INCREASE = (
    "Account does not have sufficient margin available for increase."
)
# source: venue string listed in a public Rust CLI test (exchange_user_state_rejections) and a
# manage.py guide for update_isolated_margin; HL binary strings.

ISOLATED_MARGIN_INSUFFICIENT_FOR_REDUCTION = (
    "Position does not have sufficient margin for reduction."
)
# source: HL node binary strings (public reverse-engineering notes). Medium confidence.

POSITION_NOT_ISOLATED = "Position does not use isolated margin."
# source: observed testnet {"status":"err","response":"Position does not use isolated margin."}
# (research transcript step C8).

CANNOT_UPDATE_MARGIN_EMPTY_POSITION = "Cannot update margin for empty position."
# source: HL node binary strings (public reverse-engineering notes). Medium confidence.

ISOLATED_MARGIN_UPDATE_ZERO = "Update to isolated margin cannot be zero."
# source: HL node binary strings (public reverse-engineering notes). Medium confidence.

# --------------------------------------------------------------------------------------------
# Transfers and withdrawals
# --------------------------------------------------------------------------------------------

INSUFFICIENT_BALANCE_FOR_WITHDRAWAL = "Insufficient balance for withdrawal."
# source: ccxt 4.5.90 exceptions.broad 'Insufficient balance for withdrawal' (InsufficientFunds);
# observed HTTP 200 {"status":"err","response":"Insufficient balance for withdrawal."} (public
# multi-sig app test log).

INSUFFICIENT_BALANCE_FOR_TOKEN_TRANSFER = "Insufficient balance for token transfer"
# source: ccxt 4.5.90 exceptions.broad (InsufficientFunds); observed testnet (riftresearch
# captures: "Insufficient principal: `Insufficient balance for token transfer`"). No full stop.

INSUFFICIENT_BALANCE_FOR_TRANSFER_GAS = "Insufficient {token} balance for token transfer gas."
# source: observed testnet "Insufficient NQ balance for token transfer gas." (riftresearch).
# A USDC-only variant reads "Insufficient quote token (e.g., 1 USDC or USDT) balance for token
# transfer gas."

INVALID_SEND = "Invalid send"
# source: observed testnet {"status":"err","response":"Invalid send"} (self-send, and an amount
# with too many decimals; riftresearch + research transcript step D4).

SEND_AMOUNT_ZERO = "Send amount cannot be zero"
# source: observed testnet (riftresearch captures doc).

UNKNOWN_TOKEN = "Unknown token {token}"
# source: observed testnet (riftresearch captures doc).

INVALID_SUB_ACCOUNT_TRANSFER = "Invalid sub-account transfer from {sender} to {destination}"
# source: observed testnet (research transcript step 7k).

# --------------------------------------------------------------------------------------------
# Nonces, signatures, expiry, accounts
# --------------------------------------------------------------------------------------------

NONCE_DUPLICATE = "Invalid nonce: duplicate nonce {nonce}"
# source: observed live (hummingbot issue #7737; "Invalid nonce: duplicate nonce 1748863660821"
# in a public WS client comment; riftresearch "Exact replay").

NONCE_TOO_LOW = "Invalid nonce: nonce too low {nonce} < {bound}"
# source: recorded venue string "Invalid nonce: nonce too low 1791140676851 < 1791227196699"
# (public explainExchangeError test suite). Used for nonces below the (T - 2 days) window or
# below the smallest of the 100 highest nonces.

NONCE_TOO_HIGH = "Invalid nonce: nonce too high {nonce} > {bound}"
# source: recorded venue string "Invalid nonce: nonce too high 1791572677029 > 1791486156858"
# (same suite). Used for nonces beyond T + 1 day.

ACTION_EXPIRED = "Action already expired"
# source: observed testnet {"status":"err","response":"Action already expired"} for an L1
# action whose expiresAfter is in the past (research transcript step 7q). No full stop.

USER_OR_API_WALLET_DOES_NOT_EXIST = "User or API Wallet {address} does not exist."
# source: ccxt 4.5.90 exceptions.broad 'User or API Wallet ' and handle_errors comment
# {"status":"err","response":"User or API Wallet 0xb8a6...03a5 does not exist."};
# hyperliquid-python-sdk issue #194.

MUST_DEPOSIT_BEFORE_ACTIONS = "Must deposit before performing actions. User: {user}"
# source: observed testnet (research transcript steps 7a-7e; riftresearch).

UNABLE_TO_RECOVER_SIGNER = "Unable to recover signer."
# source: observed testnet HTTP 200 {"status":"err","response":"Unable to recover signer."}
# for zero signatures (riftresearch captures doc).

RATE_LIMIT_CUMULATIVE_REQUESTS = (
    "Too many cumulative requests sent ({sent} > {cap}) for cumulative volume traded"
    " ${volume}. Place taker orders to free up 1 request per USDC traded."
)
# source: ccxt 4.5.90 exceptions.broad 'Too many cumulative requests sent' (RateLimitExceeded)
# with comment "Too many cumulative requests sent (37986 > 10436) for cumulative volume traded
# $437.92. Place taker orders to free up 1 request per USDC traded."

# --------------------------------------------------------------------------------------------
# Scheduled cancel (dead man's switch)
# --------------------------------------------------------------------------------------------

SCHEDULE_CANCEL_TOO_EARLY = "Scheduled cancel time too early, must be at least 5 seconds from now."
# source: nktkas/hyperliquid live testnet test (_validateResponse, scheduleCancel time=1).

SCHEDULE_CANCEL_VOLUME_REQUIRED = (
    "Cannot set scheduled cancel time until enough volume traded."
    " Required: ${required}. Traded: ${traded}."
)
# source: observed testnet "... Required: $1000000. Traded: $12066.75." (research transcript
# step 6e; also a public Rust CLI test).

SCHEDULE_CANCEL_TOO_MANY_TRIGGERS = (
    "Too many scheduled cancels triggered for the day. Limit is {limit}"
)
# unconfirmed: only the prefix "Too many scheduled cancels triggered for the day. Limit is ..."
# is known (HL binary strings in public RE notes). The tail and punctuation are a guess. The
# documented limit is 10 per UTC day.

# --------------------------------------------------------------------------------------------
# Agents (API wallets), vaults, sub-accounts, referrals
# --------------------------------------------------------------------------------------------

EXTRA_AGENT_ALREADY_USED = "Extra agent already used."
# source: observed testnet (research transcript run 3 step 3c); many public apps match it.

TOO_MANY_EXTRA_AGENTS = (
    "Too many extra agents for cumulative volume traded. Current limit is {limit}"
)
# source: observed testnet "Too many extra agents for cumulative volume traded. Current limit
# is 3" (research transcript run 2 step E3). No full stop.

AGENT_VALID_UNTIL_EXPIRED = "Agent valid_until already expired."
# source: observed testnet (research transcript step 9a). Also returned when valid_until is more
# than 180 days ahead.

PENDING_AGENT_REMOVAL = "User has pending agent removal"
# source: observed testnet (research transcript run 2/3), about 5 s after an agent is revoked.

AGENT_SEND_ASSET_WRONG_DESTINATION = "Agent can only send asset to same user or their sub-accounts."
# source: observed testnet (research transcript step 7g).

VAULT_NOT_REGISTERED = "Vault not registered: {vault}"
# source: observed testnet "Vault not registered: 0x000000000000000000000000000000000000dead"
# (research transcript step 7l; also a public explainExchangeError test).

SUB_ACCOUNTS_VOLUME_REQUIRED = (
    "Cannot create sub-accounts until enough volume traded."
    " Required: ${required}. Traded: ${traded}."
)
# source: observed testnet (research transcript step 7j).

BUILDER_FEE_NOT_APPROVED = "Builder fee has not been approved."
# source: public reports of Hyperliquid's answer to an order whose builder the user has not
# approved, or approved for less than the order's fee (SDK and client issue threads).

BUILDER_INSUFFICIENT_BALANCE = "Builder has insufficient balance to be approved."
# source: public reports of Hyperliquid testnet's answer to approveBuilderFee for a builder
# with under 100 USDC of perps account value (client issue threads).

VAULT_MAY_NOT_PERFORM = "Vault may not perform this action"
# source: public reports of Hyperliquid's answer to approveBuilderFee sent for a vault.

REFERRAL_CODE_NOT_REGISTERED = "Referral code not registered"
# source: observed testnet (research transcript step 7o).


# ----- l2perp's own texts (no Hyperliquid equivalent) -------------------------------------

UNKNOWN_ASSET = "Unknown asset {asset}."
NO_ORACLE_PRICE = "No oracle price for this asset yet. asset={asset}"
MARKET_REDUCE_ONLY_MODE = (
    "Market is reduce-only: only reduce-only orders are accepted. asset={asset}"
)
INVALID_TIF = "Invalid time in force. asset={asset}"
TOO_MANY_OPEN_ORDERS = "Too many open orders. asset={asset}"
INVALID_AMOUNT = "Invalid amount."
INVALID_DESTINATION = "Invalid destination address."
WITHDRAW_BELOW_FEE = "Withdrawal amount must exceed the $1 withdrawal fee."
INVALID_AGENT_ADDRESS = "Invalid agent address."
AGENT_IS_EXISTING_USER = "Agent address is already a user account."
STRICT_ISOLATED_NO_REMOVE = "Margin cannot be removed from a strict isolated position."
SYSTEM_ACTION_ONLY = "This action is only accepted from the L1 bridge."
NOT_ADMIN = "Only the admin key may send this action."
UNKNOWN_ACTION = "Unknown action."
INVALID_MARKET_STATUS = "Invalid market status."
MODIFY_OTHER_ASSET = "A modify cannot move an order to another asset. asset={asset}"
AGENT_ADDRESS_DESTINATION = "Destination is an API wallet, not a user."
NOT_ORACLE_OPERATOR = "Signer is not a registered oracle operator."
ORACLE_REPORT_NOT_FRESH = "Oracle report timestamp is not fresh."
ORACLE_ROUND_OLD = "Oracle round already superseded."
ORACLE_DUPLICATE_REPORT = "Operator already reported this round."
INVALID_ORACLE_SOURCE = "Invalid oracle source."
WITHDRAWALS_PAUSED = (
    "Withdrawals are paused while an account in this insurance partition is under water."
)
DEVNET_ONLY = "This action exists on the devnet only."
SUB_ACCOUNT_CANNOT_CREATE = "Sub-accounts and vaults cannot create sub-accounts."
INVALID_SUB_ACCOUNT_NAME = "Invalid sub-account name: 1 to 16 printable characters."
TOO_MANY_SUB_ACCOUNTS = "Too many sub-accounts. Current limit is {limit}."
SUB_ACCOUNT_NAME_TAKEN = "Sub-account name already used."
NOT_YOUR_SUB_ACCOUNT = "Not a sub-account of this user."
INVALID_BUILDER_FEE = "Invalid builder fee: at most 0.1% on perps, in steps of 0.001%."
TOO_MANY_BUILDER_APPROVALS = "Too many builder fee approvals. Current limit is {limit}."
BUILDER_IS_SELF = "A user cannot approve itself as a builder."
INVALID_VAULT_NAME = "Invalid vault name or description."
VAULT_MIN_INITIAL = "A vault's initial deposit must be at least ${min_value}."
VAULT_CANNOT_CREATE = "Sub-accounts, vaults and insurance funds cannot create vaults."
VAULT_CLOSED = "Vault is closed."
VAULT_LOCKED = "Vault deposit is locked until {until}."
VAULT_LEADER_SHARE = "Vault leader must keep at least 5% of the vault."
VAULT_INSUFFICIENT_SHARES = "Insufficient vault equity for withdrawal."
VAULT_INSUFFICIENT_WITHDRAWABLE = "Vault has insufficient withdrawable balance."
VAULT_TRANSFER_SELF = "A vault cannot transfer to itself."
VAULT_DEPOSIT_TOO_SMALL = "Deposit too small for the vault's share price."
L1_MESSAGE_OUT_OF_ORDER = "L1 message {got} out of order: the next one is {expected}."
FORCED_TRADE_EXPIRED = "Forced trade expired."
FORCED_TRADE_INVALID = "Forced trade is invalid."
FORCED_TRADE_MARGIN = "Forced trade would leave an account under its margin requirement."
GOV_NEEDS_OWN_KEY = "Governance actions must be signed by the holder's own key, not an API wallet."
