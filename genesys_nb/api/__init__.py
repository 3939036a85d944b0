"""HTTP API layer: settings and regions, auth, transports, request building, clients, models, errors, retry rules."""
