import struct
import zlib

import pytest

from credentials import baking, images

TOKEN = "eyJhbGciOiJFUzI1NiJ9.eyJhIjoxfQ.c2ln"


def _chunk_types(png):
    pos, out = 8, []
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        out.append(png[pos + 4 : pos + 8])
        pos += 12 + length
    return out


def test_png_round_trip_and_layout():
    png = images.default_png("seed")
    baked = baking.bake_png(png, TOKEN)
    assert baking.extract_from_png(baked) == TOKEN
    types = _chunk_types(baked)
    assert types[-2:] == [b"iTXt", b"IEND"]
    assert b"openbadgecredential\x00\x00\x00\x00\x00" + TOKEN.encode() in baked


def test_png_refuses_second_bake_and_reports_errors():
    baked = baking.bake_png(images.default_png(), TOKEN)
    with pytest.raises(baking.BakingError) as err:
        baking.bake_png(baked, TOKEN)
    assert err.value.code == "already_baked"
    with pytest.raises(baking.BakingError) as err:
        baking.extract_from_png(images.default_png())
    assert err.value.code == "no_credential"
    with pytest.raises(baking.BakingError) as err:
        baking.extract_from_png(b"GIF89a....")
    assert err.value.code == "not_a_png"
    corrupted = bytearray(baked)
    corrupted[-30] ^= 0xFF
    with pytest.raises(baking.BakingError) as err:
        baking.extract_from_png(bytes(corrupted))
    assert err.value.code == "corrupt"
    with pytest.raises(baking.BakingError) as err:
        baking.extract_from_png(baked[:-20])
    assert err.value.code == "corrupt"


def test_png_with_two_credentials_is_rejected():
    png = images.default_png()
    extra = images.png_chunk(b"iTXt", b"openbadgecredential\x00\x00\x00\x00\x00" + b"a.b.c")
    doubled = baking.bake_png(png, TOKEN)
    doubled = doubled[:-12] + extra + doubled[-12:]
    with pytest.raises(baking.BakingError) as err:
        baking.extract_from_png(doubled)
    assert err.value.code == "multiple_credentials"


def test_png_compressed_itxt_is_read():
    png = images.default_png()
    data = b"openbadgecredential\x00\x01\x00\x00\x00" + zlib.compress(TOKEN.encode())
    baked = png[:-12] + images.png_chunk(b"iTXt", data) + png[-12:]
    assert baking.extract_from_png(baked) == TOKEN


def test_svg_round_trip():
    svg = images.default_svg("电工", "四级/中级工")
    baked = baking.bake_svg(svg, TOKEN)
    assert 'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"' in baked
    assert baking.extract_from_svg(baked) == TOKEN
    assert baking.extract_from_svg(baked.encode()) == TOKEN
    # First child of the root.
    assert f'><openbadges:credential verify="{TOKEN}"/><title>' in baked
    with pytest.raises(baking.BakingError) as err:
        baking.bake_svg(baked, TOKEN)
    assert err.value.code == "already_baked"


def test_svg_self_closing_root_and_errors():
    baked = baking.bake_svg('<svg xmlns="http://www.w3.org/2000/svg"/>', TOKEN)
    assert baking.extract_from_svg(baked) == TOKEN
    for bad, code in [
        ("<html/>", "not_an_svg"),
        ("not xml", "not_an_svg"),
        ('<svg xmlns="http://www.w3.org/2000/svg"/>', "no_credential"),
    ]:
        with pytest.raises(baking.BakingError) as err:
            baking.extract_from_svg(bad)
        assert err.value.code == code
    two = baked.replace("</svg>", f'<openbadges:credential verify="{TOKEN}"/></svg>')
    with pytest.raises(baking.BakingError) as err:
        baking.extract_from_svg(two)
    assert err.value.code == "multiple_credentials"


def test_svg_entities_are_refused():
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]>'
        '<svg xmlns="http://www.w3.org/2000/svg">&a;</svg>'
    )
    with pytest.raises(baking.BakingError) as err:
        baking.extract_from_svg(bomb)
    assert err.value.code == "not_an_svg"


def test_svg_credential_as_element_text():
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">'
        f"<openbadges:credential><![CDATA[ {TOKEN} ]]></openbadges:credential></svg>"
    )
    assert baking.extract_from_svg(svg) == TOKEN
