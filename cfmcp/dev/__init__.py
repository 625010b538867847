"""`cfmcp dev`: the Worker under wrangler dev beside a local stand-in for Cloudflare sign-in."""
