from automl_cli.cli import main

if __name__ == "__main__":  # worker processes re-import the main module; only the CLI runs it
    main()
