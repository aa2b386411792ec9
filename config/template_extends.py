"""``{% extends %}`` that finds the root template's blocks once per compiled template.

Django's ``ExtendsNode.render`` walks the whole node tree of the root template (base.html:
every ``if``, ``for`` and ``include`` in it) on every render to collect its ``{% block %}``
nodes, ~0.1 ms of each page's first render here (docs/decisions.md, "Speed"). The tree of a
compiled template never changes, so the blocks are kept with it (weakly: a template compiled
again after a change in development is a new object and is walked again). Everything else is
Django's render, step for step. Loaded as a template builtin (settings.TEMPLATES), after
Django's own, so it takes the ``extends`` name.
"""

from __future__ import annotations

import weakref

from django import template
from django.template.base import TextNode
from django.template.loader_tags import (
    BLOCK_CONTEXT_KEY,
    BlockContext,
    BlockNode,
    ExtendsNode,
    do_extends,
)

register = template.Library()

# compiled root template -> its blocks by name; None for a template that extends another.
_ROOT_BLOCKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def root_blocks(compiled) -> dict[str, BlockNode] | None:
    """The blocks a template adds when it is the root (it extends nothing), as Django's
    ``ExtendsNode.render`` finds them; None when its first node is an ``{% extends %}``."""
    try:
        return _ROOT_BLOCKS[compiled]
    except KeyError:
        pass
    found = None
    for node in compiled.nodelist:
        # The ExtendsNode has to be the first non-text node.
        if not isinstance(node, TextNode):
            if not isinstance(node, ExtendsNode):
                found = {n.name: n for n in compiled.nodelist.get_nodes_by_type(BlockNode)}
            break
    _ROOT_BLOCKS[compiled] = found
    return found


class KeptBlocksExtendsNode(ExtendsNode):
    def render(self, context):
        compiled_parent = self.get_parent(context)
        if BLOCK_CONTEXT_KEY not in context.render_context:
            context.render_context[BLOCK_CONTEXT_KEY] = BlockContext()
        block_context = context.render_context[BLOCK_CONTEXT_KEY]
        # Add the block nodes from this node to the block context
        block_context.add_blocks(self.blocks)
        # If this block's parent doesn't have an extends node it is the root, and its block
        # nodes also need to be added to the block context (read, never changed, by it).
        blocks = root_blocks(compiled_parent)
        if blocks is not None:
            block_context.add_blocks(blocks)
        with context.render_context.push_state(compiled_parent, isolated_context=False):
            return compiled_parent._render(context)


@register.tag("extends")
def extends(parser, token):
    node = do_extends(parser, token)
    return KeptBlocksExtendsNode(node.nodelist, node.parent_name)
