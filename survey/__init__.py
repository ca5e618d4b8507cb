"""survey: which deep-learning frameworks does the code accompanying arXiv papers use?"""

__version__ = "0.1.0"
