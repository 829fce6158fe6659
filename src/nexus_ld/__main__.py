from nexus_ld.cli import main

main()
