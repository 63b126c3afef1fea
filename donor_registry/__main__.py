from donor_registry.cli import main

main()
