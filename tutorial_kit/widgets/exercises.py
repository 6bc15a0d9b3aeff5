"""Checks for the notebooks' exercises.

A check runs a list of conditions on the student's answer. When all hold it
prints ``check passed``; at the first that fails it raises
:class:`ExerciseNotPassed` (an ``AssertionError``) whose message starts with
``not yet:`` and says which condition failed. Raising, rather than printing,
makes a wrong answer stop the notebook (and fail ``pytest --nbval``), so a
check cannot pass by being overlooked. An unfinished answer (a placeholder,
a missing name, a function that fails) is reported the same way, with the
error it raised, instead of a long traceback from inside the test.
"""


class ExerciseNotPassed(AssertionError):
    """An exercise's answer does not yet meet one of its check's conditions."""


def check(*conditions):
    """Print ``check passed`` if every condition holds; otherwise raise for the first that does not.

    Each condition is a pair ``(description, test)``: ``test`` is a function
    without arguments that returns a truth value; ``description`` says what
    it asks for. Conditions are tried in order and stop at the first that
    fails or raises. Raises :class:`ExerciseNotPassed` with the message
    ``not yet: <description>`` (and the error, if the test raised one).
    """
    for description, test in conditions:
        try:
            holds = bool(test())
        except Exception as error:      # an unfinished answer may fail in any way
            raise ExerciseNotPassed(f'not yet: {description} ({type(error).__name__}: {error})') from None
        if not holds:
            raise ExerciseNotPassed(f'not yet: {description}')
    print('check passed')
