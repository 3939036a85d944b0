"""Running actions: executor, orchestrator, parameter matrices, pacing, the matrix runner, webhooks, sessions."""
