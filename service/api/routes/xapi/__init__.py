"""The xAPI LRS at ``/xAPI`` (1.0.3 and 2.0): statements, documents, about, agents, activities."""

from fastapi import APIRouter

from service.api.routes.xapi import about, documents, statements

router = APIRouter(prefix="/xAPI", tags=["xAPI"])
for module in (statements, documents, about):
    router.include_router(module.router)
