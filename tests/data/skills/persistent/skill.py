from skillkit import launch


@launch
def welcome(req):
    visits = req.persistent.get("visits", 0) + 1
    req.persistent["visits"] = visits
    return f"Visit number {visits}."
