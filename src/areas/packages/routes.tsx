/** @jsxImportSource @kitajs/html */
/** Hosting packages' pages: list, create, edit, delete (admins and resellers). */
import { type Context, Hono } from 'hono'
import { Card, EmptyState, PageHeader, PageLink } from '../../../partials/ui.tsx'
import { listQuery, validQuery } from '../../api/validate.ts'
import { callerOf, ID, idParam } from '../../auth/caller.ts'
import { requireRole } from '../../auth/middleware.ts'
import type { AppEnv } from '../../lib/env.ts'
import type { AppError } from '../../lib/errors.ts'
import { page } from '../../lib/render.tsx'
import {
  FormAlert,
  type FormValues,
  formError,
  formInput,
  Pagination,
  PostForm,
  parseInput,
  TextField,
} from '../users/forms.tsx'
import { findUserById } from '../users/repository.ts'
import { findPackage, LIMIT_FIELDS, type Package, usersOfPackage } from './repository.ts'
import { packageCreate, packageUpdate } from './schemas.ts'
import { createPackage, deletePackage, getPackage, listPackages, updatePackage } from './service.ts'

export const packagePages = new Hono<AppEnv>()

packagePages.use(requireRole('admin', 'reseller'))

const NUMBERS = { numbers: LIMIT_FIELDS.map((f) => f.api) }

async function ownPackageNote(c: Context<AppEnv>): Promise<string | undefined> {
  const me = c.var.user!
  if (me.role !== 'reseller') return 'Panel-wide packages that admins and resellers assign to accounts.'
  const fresh = await findUserById(c.var.deps.database, me.id)
  const own = fresh?.packageId ? await findPackage(c.var.deps.database, fresh.packageId) : null
  return own
    ? `Your own package "${own.name}" allows ${own.maxWebsites} websites, ${own.maxDatabases} databases, ${own.maxDnsZones} DNS zones and ${own.diskMb} MB; the packages you hand out may not add up to more.`
    : 'Your account has no package of its own yet, so you cannot hand any out; ask an admin.'
}

packagePages.get('/', validQuery(listQuery), async (c) => {
  const query = c.req.valid('query')
  const { rows, total } = await listPackages(c.var.deps, c.var.user!, query)
  return page(
    c,
    'Packages',
    <>
      <PageHeader title="Hosting packages" description={await ownPackageNote(c)}>
        <a
          class="button button-primary"
          href="/packages/new"
          hx-get="/packages/new"
          hx-target="#main"
          hx-push-url="true"
        >
          New package
        </a>
      </PageHeader>
      {rows.length === 0 ? (
        <EmptyState title="No packages yet." />
      ) : (
        <div class="card overflow-x-auto p-0">
          <table class="table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Websites</th>
                <th>Databases</th>
                <th>DNS zones</th>
                <th>Disk (MB)</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((p) => (
                <tr>
                  <td class="font-medium">
                    <PageLink href={`/packages/${p.id}`} label={p.name} />
                  </td>
                  <td>{p.maxWebsites}</td>
                  <td>{p.maxDatabases}</td>
                  <td>{p.maxDnsZones}</td>
                  <td>{p.diskMb}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pagination
        path="/packages"
        query={{ q: query.q }}
        page={query.page}
        perPage={query.per_page}
        total={total}
      />
    </>,
  )
})

function PackageFields(props: { values: FormValues; pkg?: Package; error?: AppError | null }) {
  const value = (api: string, key?: keyof Package) =>
    (props.values[api] as string | number | undefined) ??
    (props.pkg && key ? (props.pkg[key] as number) : undefined)
  return (
    <>
      <TextField name="name" label="Name" value={value('name', 'name')} required error={props.error} />
      {LIMIT_FIELDS.map((f) => (
        <TextField
          name={f.api}
          label={`Maximum ${f.label}`}
          type="number"
          min={0}
          value={value(f.api, f.key)}
          required
          error={props.error}
        />
      ))}
    </>
  )
}

async function newPackagePage(c: Context<AppEnv>, values: FormValues = {}, error?: AppError | null) {
  return page(
    c,
    'New package',
    <>
      <PageHeader title="New package" description={await ownPackageNote(c)} />
      <Card class="max-w-xl">
        <PostForm c={c} action="/packages">
          <FormAlert error={error} />
          <PackageFields values={values} error={error} />
          <button class="button button-primary" type="submit">
            Create package
          </button>
        </PostForm>
      </Card>
    </>,
    error ? (error.status as 409 | 422) : 200,
  )
}

packagePages.get('/new', (c) => newPackagePage(c))

packagePages.post('/', async (c) => {
  const values = await formInput(c, NUMBERS)
  try {
    const pkg = await createPackage(c.var.deps, callerOf(c), parseInput(packageCreate, values))
    c.header('HX-Push-Url', `/packages/${pkg.id}`)
    return packagePage(c, pkg, { notice: `Created ${pkg.name}.` })
  } catch (err) {
    const error = formError(err)
    if (!error) throw err
    return newPackagePage(c, values, error)
  }
})

async function packagePage(
  c: Context<AppEnv>,
  pkg: Package,
  feedback: { notice?: string; error?: AppError | null; values?: FormValues; section?: string } = {},
) {
  const users = await usersOfPackage(c.var.deps.database, pkg.id)
  const err = (s: string) => (feedback.section === s ? feedback.error : null)
  return page(
    c,
    pkg.name,
    <>
      <PageHeader title={pkg.name} description={`Assigned to ${users} account${users === 1 ? '' : 's'}.`}>
        <a class="button" href="/packages" hx-get="/packages" hx-target="#main" hx-push-url="true">
          All packages
        </a>
      </PageHeader>
      <div class="grid gap-4 lg:grid-cols-2">
        <Card title="Limits">
          <PostForm c={c} action={`/packages/${pkg.id}`}>
            <FormAlert notice={feedback.notice} error={err('edit')} />
            <PackageFields values={feedback.values ?? {}} pkg={pkg} error={err('edit')} />
            <button class="button button-primary" type="submit">
              Save
            </button>
          </PostForm>
        </Card>
        <Card title="Delete">
          <PostForm c={c} action={`/packages/${pkg.id}/delete`}>
            <FormAlert error={err('delete')} />
            <p class="text-sm">A package can be deleted once no account uses it.</p>
            <button class="button button-danger" type="submit">
              Delete package
            </button>
          </PostForm>
        </Card>
      </div>
    </>,
    feedback.error ? (feedback.error.status as 409 | 422) : 200,
  )
}

packagePages.get(`/:id${ID}`, async (c) =>
  packagePage(c, await getPackage(c.var.deps, c.var.user!, idParam(c))),
)

packagePages.post(`/:id${ID}`, async (c) => {
  const pkg = await getPackage(c.var.deps, c.var.user!, idParam(c))
  const values = await formInput(c, NUMBERS)
  try {
    const updated = await updatePackage(c.var.deps, callerOf(c), pkg.id, parseInput(packageUpdate, values))
    return packagePage(c, updated, { notice: 'Saved.' })
  } catch (err) {
    const error = formError(err)
    if (!error) throw err
    return packagePage(c, pkg, { error, values, section: 'edit' })
  }
})

packagePages.post(`/:id${ID}/delete`, async (c) => {
  const pkg = await getPackage(c.var.deps, c.var.user!, idParam(c))
  try {
    parseInput(packageUpdate.pick({}).strict(), await formInput(c))
    await deletePackage(c.var.deps, callerOf(c), pkg.id)
  } catch (err) {
    const error = formError(err)
    if (!error) throw err
    return packagePage(c, pkg, { error, section: 'delete' })
  }
  if (c.req.header('hx-request') === 'true') {
    c.header('HX-Redirect', '/packages')
    return c.body(null, 204)
  }
  return c.redirect('/packages', 303)
})
