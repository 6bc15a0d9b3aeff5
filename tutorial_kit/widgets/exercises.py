"""Checks for the notebooks' exercises.

A check runs a list of conditions on the student's answer and prints one
line: ``check passed`` or ``not yet: ...`` with the first condition that
failed. It never raises, so it can run on an unfinished answer (a
placeholder, a missing name, a function that fails) and say what is missing
instead of showing a traceback.
"""


def check(*conditions):
    """Print whether every condition holds (``check passed``) or the first that does not.

    Each condition is a pair ``(description, test)``: ``test`` is a function
    without arguments that returns a truth value; ``description`` says what
    it asks for. Conditions are tried in order and stop at the first that
    fails or raises.
    """
    for description, test in conditions:
        try:
            holds = bool(test())
        except Exception as error:      # an unfinished answer may fail in any way
            print(f'not yet: {description} ({type(error).__name__}: {error})')
            return
        if not holds:
            print(f'not yet: {description}')
            return
    print('check passed')
