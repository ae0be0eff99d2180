"""Sites, areas, deployment requests, authorisation, panel review, lifecycle and outcomes."""
