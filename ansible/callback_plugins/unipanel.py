# The Unipanel job runner's own callback (enabled by the ansible.cfg it generates):
# - announces how many tasks each play holds, so the job page can show progress;
# - writes what the playbook passed to set_stats into the file named by
#   UNIPANEL_RESULT_FILE (gathered facts, say), so the panel never parses the log for data.
from __future__ import annotations

DOCUMENTATION = '''
    name: unipanel
    type: aggregate
    short_description: task totals and results for the Unipanel job runner
    description:
      - Prints "[unipanel] tasks in this play: N" when a play starts.
      - Writes the set_stats data of the run to the file named by UNIPANEL_RESULT_FILE.
'''

import json
import os

from ansible.playbook.block import Block
from ansible.plugins.callback import CallbackBase


def _count(items):
    n = 0
    for item in items:
        if isinstance(item, Block):
            n += _count(item.block) + _count(item.rescue) + _count(item.always)
        elif getattr(item, 'action', None) not in ('meta', 'ansible.builtin.meta'):
            n += 1
    return n


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'unipanel'
    CALLBACK_NEEDS_ENABLED = True

    def v2_playbook_on_play_start(self, play):
        try:
            total = _count(play.compile())
            if play.gather_facts is not False:
                total += 1
        except Exception:
            return
        self._display.display('[unipanel] tasks in this play: %d' % total)

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get('UNIPANEL_RESULT_FILE')
        if not path:
            return
        data = getattr(stats, 'custom', {}).get('_run', {})
        with open(path, 'w', encoding='utf-8') as out:
            json.dump(data, out)
