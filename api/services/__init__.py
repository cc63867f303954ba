"""Business services of the api. No FastAPI imports here: routers and actions call these."""
