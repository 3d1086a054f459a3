from skillkit import launch
from skillkit.ssml import SSML


@launch
def welcome(req):
    return SSML("<break time='1s'>unclosed")
