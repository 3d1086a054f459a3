"""Joke time: a skill written as plain functions, with no decorators and no model.json.

Each function answers what its name says: "tell me a joke", "tell me a joke
about a cat" (the parameter animal is a slot). skillserver reads the
interaction model from the functions; `skillserver model joke_time` prints it.
"""
import random

from skillkit import ask

JOKES = [
    "Why did the robot go on holiday? To recharge!",
    "What do you call a sleeping dinosaur? A dino-snore!",
    "Why was the maths book sad? It had too many problems.",
    "What has ears but cannot hear? A corn field!",
]


def welcome():
    return ask("Hi! It's joke time. Say: tell me a joke.", "Say: tell me a joke.")


def tell_me_a_joke():
    return random.choice(JOKES)


def tell_me_a_joke_about(animal):
    return f"Why did the {animal} cross the playground? To get to the other slide!"


def help():
    return ask("Say tell me a joke, or tell me a joke about an animal, like a cat.",
               "Say: tell me a joke.")


def stop():
    return "Bye! Keep laughing!"
