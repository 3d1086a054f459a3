# No public function, no decorator, no lambda_handler: nothing answers.
GREETING = "nothing registered here"


def _helper():
    return GREETING
