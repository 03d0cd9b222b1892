"""Business rules shared by screens, the REST API, the CLI and the workers."""
