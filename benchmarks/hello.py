"""The ceiling: a bare Flask app answering "Hello, World!", served like the shop."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"
