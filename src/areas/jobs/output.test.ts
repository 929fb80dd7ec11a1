import { describe, expect, test } from 'bun:test'
import { cleanLine, failureReason, parseRecap, recapText, TaskProgress } from './output.ts'

const RECAP = [
  'PLAY RECAP *********************************************************************',
  'server_1                   : ok=6    changed=2    unreachable=0    failed=1    skipped=3    rescued=0    ignored=0   ',
  'server_2                   : ok=1    changed=0    unreachable=1    failed=0    skipped=0    rescued=0    ignored=0   ',
  '',
]

describe('reading ansible-playbook output', () => {
  test('sums the PLAY RECAP over its hosts', () => {
    expect(parseRecap(['TASK [x] ***', 'ok: [server_1]', '', ...RECAP])).toEqual({
      ok: 7,
      changed: 2,
      failed: 1,
      unreachable: 1,
      skipped: 3,
    })
    expect(parseRecap(['ERROR! the playbook could not be found'])).toBeNull()
    expect(recapText({ ok: 1, changed: 0, failed: 0, unreachable: 0, skipped: 2 })).toBe(
      'ok=1 changed=0 failed=0 unreachable=0 skipped=2',
    )
  })

  test('strips colour codes and control characters', () => {
    expect(cleanLine('\u001b[0;32mok: [server_1]\u001b[0m\r')).toBe('ok: [server_1]')
    expect(cleanLine('a\u0007b\u0000c\tkeep')).toBe('abc\tkeep')
    expect(cleanLine('\u001b]0;title\u0007text')).toBe('text')
  })

  test('counts tasks started against the totals the plays announce', () => {
    const progress = new TaskProgress()
    expect(progress.see('PLAY [x] ***')).toBe(false)
    expect(progress.see('[unipanel] tasks in this play: 3')).toBe(true)
    progress.see('TASK [Gathering Facts] ***')
    progress.see('ok: [server_1]')
    progress.see('TASK [one] ***')
    expect([progress.done, progress.total]).toEqual([2, 3])
    progress.see('[unipanel] tasks in this play: 1')
    for (let i = 0; i < 5; i++) progress.see('TASK [dynamic] ***')
    // An include can run more tasks than were announced: the total grows with them.
    expect([progress.done, progress.total]).toEqual([7, 7])
  })

  test('explains a failure in one sentence', () => {
    expect(
      failureReason([
        'TASK [Install] ***',
        'fatal: [server_1]: FAILED! => {"changed": false, "msg": "No package matching \'nginx-nope\' is available"}',
      ]),
    ).toBe("No package matching 'nginx-nope' is available")
    expect(
      failureReason([
        'fatal: [server_1]: UNREACHABLE! => {"changed": false, "msg": "Failed to connect to the host via ssh: Connection refused", "unreachable": true}',
      ]),
    ).toBe('the host was unreachable: Failed to connect to the host via ssh: Connection refused')
    expect(failureReason(["ERROR! the role 'x' was not found"])).toBe("the role 'x' was not found")
    expect(failureReason(['@@@@@@', '@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @'])).toBe(
      'host-key',
    )
    expect(failureReason(['nothing useful'])).toBeNull()
  })
})
