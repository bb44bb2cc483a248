"""Editing targets: an explicit null is refused by name, as in every PATCH, and changes nothing."""


def test_null_in_a_target_patch_is_refused(client, make_user, login):
    admin = login(make_user("admin"))
    before = client.get("/api/v1/tallies/target?code=person_times", headers=admin).json()
    for field in ("title", "target", "period_to", "filters"):
        r = client.patch("/api/v1/tallies/targets/person_times", json={field: None}, headers=admin)
        assert r.status_code == 422, (field, r.text)
        assert field in r.text
    after = client.get("/api/v1/tallies/target?code=person_times", headers=admin).json()
    assert after["target"] == before["target"] == 1_200_000
    assert after == before
