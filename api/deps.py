"""Dependencies shared by the routes, as `Annotated` aliases."""

from typing import Annotated

from fastapi import Depends

from api.settings import Settings, get_settings

SettingsDep = Annotated[Settings, Depends(get_settings)]
