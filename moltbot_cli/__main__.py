from moltbot_cli.app import main

main()
