#!/usr/bin/python
# Unipanel's own module: writes (or removes) many files in one task, so a play that
# applies a hundred websites runs one module instead of a hundred. Idempotent (only
# files whose content, mode or owner differ are written, each atomically), honours
# check mode and --diff.
from __future__ import annotations

DOCUMENTATION = r'''
module: unipanel_files
short_description: Write or remove many files in one task
description:
  - Each file is compared with what is on disk; only those that differ are written,
    through a temporary file in the same folder renamed into place.
  - Supports check mode and diff mode (one diff per changed file).
options:
  files:
    description: The files.
    type: list
    elements: dict
    required: true
    suboptions:
      path: {description: Absolute path., type: str, required: true}
      content: {description: The whole content (state=present)., type: str, default: ''}
      mode: {description: Octal mode such as "0644"., type: str, default: '0644'}
      owner: {description: User name (unchanged when omitted)., type: str}
      group: {description: Group name (unchanged when omitted)., type: str}
      state: {description: present or absent., type: str, default: present, choices: [present, absent]}
  create_parents:
    description: Create missing parent folders (mode 0755).
    type: bool
    default: true
'''

RETURN = r'''
changed_paths:
  description: The paths written or removed.
  type: list
  returned: always
'''

import grp
import os
import pwd
import tempfile

from ansible.module_utils.basic import AnsibleModule


def _read(path):
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _ids(spec):
    uid = pwd.getpwnam(spec['owner']).pw_uid if spec.get('owner') else -1
    gid = grp.getgrnam(spec['group']).gr_gid if spec.get('group') else -1
    return uid, gid


def main():
    module = AnsibleModule(
        argument_spec=dict(
            files=dict(type='list', elements='dict', required=True),
            create_parents=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
    )
    changed_paths = []
    diffs = []
    for spec in module.params['files']:
        path = spec.get('path')
        if not path or not os.path.isabs(path) or '\0' in path:
            module.fail_json(msg='every file needs an absolute path, got %r' % (path,))
        state = spec.get('state') or 'present'
        current = _read(path)
        if state == 'absent':
            if current is not None:
                changed_paths.append(path)
                diffs.append({'before_header': path, 'after_header': path, 'before': current.decode('utf-8', 'replace'), 'after': ''})
                if not module.check_mode:
                    os.unlink(path)
            continue
        content = (spec.get('content') or '').encode('utf-8')
        mode = int(str(spec.get('mode') or '0644'), 8)
        uid, gid = _ids(spec)
        stat = os.stat(path) if current is not None else None
        same = (
            current == content
            and stat is not None
            and (stat.st_mode & 0o7777) == mode
            and (uid == -1 or stat.st_uid == uid)
            and (gid == -1 or stat.st_gid == gid)
        )
        if same:
            continue
        changed_paths.append(path)
        if current != content:
            diffs.append({
                'before_header': path if current is not None else '/dev/null',
                'after_header': path,
                'before': (current or b'').decode('utf-8', 'replace'),
                'after': content.decode('utf-8', 'replace'),
            })
        if module.check_mode:
            continue
        folder = os.path.dirname(path)
        if module.params['create_parents'] and not os.path.isdir(folder):
            os.makedirs(folder, mode=0o755, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=folder, prefix='.unipanel-')
        try:
            with os.fdopen(fd, 'wb') as handle:
                handle.write(content)
            os.chmod(temp, mode)
            if uid != -1 or gid != -1:
                os.chown(temp, uid, gid)
            os.replace(temp, path)
        except Exception:
            if os.path.exists(temp):
                os.unlink(temp)
            raise
    result = {'changed': bool(changed_paths), 'changed_paths': changed_paths}
    if module._diff and diffs:
        result['diff'] = diffs
    module.exit_json(**result)


if __name__ == '__main__':
    main()
