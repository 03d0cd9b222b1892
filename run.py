"""Entry point: `flask --app run …` for commands, `python run.py` for the whole product."""
from app import create_app

app = create_app()

if __name__ == "__main__":
    from app.embedded import serve

    serve(app)
