// A table of requests: my requests, the approvals inbox and my access share it.
import type { ReactNode } from "react";
import { Link } from "react-router";
import type { RequestFieldsFragment } from "../gql/graphql";
import { when } from "../ui";

export function RequestTable({
  caption,
  rows,
  extra,
}: {
  caption: string;
  rows: RequestFieldsFragment[];
  extra?: { heading: string; cell: (row: RequestFieldsFragment) => ReactNode };
}) {
  return (
    <table>
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Resource</th>
          <th scope="col">Requester</th>
          <th scope="col">State</th>
          <th scope="col">Permissions</th>
          <th scope="col">Asked</th>
          {extra && <th scope="col">{extra.heading}</th>}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.id}>
            <td>
              <Link to={`/requests/${encodeURIComponent(row.id)}`}>{row.resource}</Link>
            </td>
            <td>{row.beneficiary === row.requester ? row.requester : `${row.requester} for ${row.beneficiary}`}</td>
            <td><span className={`state state-${row.state}`}>{row.state}</span></td>
            <td>{row.permissions.join(", ")}</td>
            <td>{when(row.createdAt)}</td>
            {extra && <td>{extra.cell(row)}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
