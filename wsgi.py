from catalog import create_app
from search.text import warm

app = create_app()
warm()  # the segmenter, script converter and pinyin tables: now, not in the first search
