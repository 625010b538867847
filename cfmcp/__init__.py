"""cfmcp: ship an OAuth-protected remote MCP server on Cloudflare Workers."""

__version__ = "0.1.0"
