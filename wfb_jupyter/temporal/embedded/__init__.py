"""An in-memory implementation of Temporal's WorkflowService gRPC API for tests, CI and offline notebooks.

Not durable: everything it holds is lost when it stops. A real Temporal server is the path to scale.
"""
