from automl_cli.cli import main

main()
