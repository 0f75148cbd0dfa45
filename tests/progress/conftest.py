import pytest

from registry import codes
from unions import demo_data
from unions.models import Union


@pytest.fixture
def taoyuan(db):
    """The city, the county and the county's 55 units from seed 001 attachment 1."""
    city = Union.objects.create(name="常德市总工会", kind=codes.KIND_LOCAL_FEDERATION)
    county = Union.objects.create(
        name=demo_data.COUNTY, kind=codes.KIND_LOCAL_FEDERATION, parent=city
    )
    with Union.objects.delay_mptt_updates():
        for name, _target in demo_data.COUNTY_UNITS + demo_data.TOWNS:
            Union.objects.create(name=name, kind=codes.KIND_FEDERATION, parent=county)
    city.refresh_from_db()
    county.refresh_from_db()
    return {"city": city, "county": county}
