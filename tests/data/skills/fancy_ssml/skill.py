"""Answers with Alexa-only SSML (effects, sound bank audio, interjections),
which `say` shows as text and renders with espeak-ng."""
from skillkit import launch
from skillkit.ssml import SSML


@launch
def welcome(req):
    return SSML(
        '<speak><say-as interpret-as="interjection">wow</say-as>! '
        '<amazon:effect name="whispered">This is a secret.</amazon:effect> '
        '<audio src="soundbank://soundlibrary/animals/amzn_sfx_dog_med_bark_1x_01"/>'
        '<break time="300ms"/> Say <sub alias="S. S. M. L.">SSML</sub> &amp; '
        '<emphasis level="strong">smile</emphasis>.</speak>')
