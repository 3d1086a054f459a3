import no_such_module_for_skillserver_tests

from skillkit import launch


@launch
def welcome(req):
    return "hi"
