"""The Hyperliquid dialect: wire parsing and formatting (the HTTP server arrives with the node)."""
