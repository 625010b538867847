from cfmcp.cli import main

main()
