"""The API routers, one module per resource group; each is thin (parse, authorize, call, shape)."""
