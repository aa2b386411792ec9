"""{% extends %} keeps the root template's blocks with the compiled template
(config/template_extends.py): the same pages, without walking base.html on every render."""

from django.template import Context, Engine, Template
from django.template.loader import get_template
from django.template.loader_tags import BlockNode, ExtendsNode

from config.template_extends import KeptBlocksExtendsNode, root_blocks


def _engine(**templates):
    return Engine(
        loaders=[("django.template.loaders.locmem.Loader", templates)],
        builtins=["config.template_extends"],
    )


def test_pages_render_as_with_djangos_extends():
    templates = {
        "base.html": (
            "<{% block a %}A{% endblock %}|{% if x %}{% block b %}B{% endblock %}{% endif %}>"
        ),
        "middle.html": "{% extends 'base.html' %}{% block a %}M{{ block.super }}{% endblock %}",
        "page.html": "{% extends 'middle.html' %}{% block b %}P{{ block.super }}{% endblock %}",
    }
    ours = _engine(**templates)
    django = Engine(loaders=[("django.template.loaders.locmem.Loader", templates)])
    for x in (True, False):
        for _ in range(2):  # a second render uses the blocks kept
            kept = ours.get_template("page.html").render(Context({"x": x}))
            plain = django.get_template("page.html").render(Context({"x": x}))
            assert kept == plain
    assert ours.get_template("page.html").render(Context({"x": True})) == "<MA|PB>"


def test_the_project_templates_use_it_and_walk_the_root_once(monkeypatch):
    today = get_template("diary/today.html").template
    node = next(n for n in today.nodelist if isinstance(n, ExtendsNode))
    assert isinstance(node, KeptBlocksExtendsNode)
    base = get_template("base.html").template
    walks = []
    real = type(base.nodelist).get_nodes_by_type

    def counted(self, nodetype):
        if nodetype is BlockNode and self is base.nodelist:
            walks.append(1)
        return real(self, nodetype)

    monkeypatch.setattr(type(base.nodelist), "get_nodes_by_type", counted)
    first = root_blocks(base)
    assert root_blocks(base) is first and "content" in first
    assert len(walks) <= 1
    middle = Template("{% extends 'base.html' %}", engine=_engine(**{"base.html": "x"}))
    assert root_blocks(middle) is None  # it extends another: not a root
