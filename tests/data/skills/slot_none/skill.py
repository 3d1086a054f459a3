"""Uses a slot without checking that it was said."""
from skillkit import intent


@intent("HelloIntent")
def hello(req):
    name = req.slot("name")
    return "Hello, " + name.upper() + "!"
