"""HTTP layer: routers parse, authorize, call domain functions and shape responses."""
