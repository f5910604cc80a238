// What an operation selects below a field, for resolvers whose reads depend on it (a rollup sums
// only the metrics asked for). Fragments are followed; @skip and @include are not read, so a field
// they may leave out still counts as selected.
import { Kind, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode } from "graphql";

/** The fields of a selection set, fragments flattened. */
function fieldsOf(set: SelectionSetNode | undefined, info: GraphQLResolveInfo): FieldNode[] {
  return (set?.selections ?? []).flatMap((selection) => {
    if (selection.kind === Kind.FIELD) return [selection];
    if (selection.kind === Kind.INLINE_FRAGMENT) return fieldsOf(selection.selectionSet, info);
    return fieldsOf(info.fragments[selection.name.value]?.selectionSet, info);
  });
}

/** The names of the fields selected directly below the resolved field's children named `children`. */
export function selectedBelow(info: GraphQLResolveInfo, children: string[]): Set<string> {
  const names = new Set<string>();
  for (const node of info.fieldNodes) {
    for (const child of fieldsOf(node.selectionSet, info)) {
      if (!children.includes(child.name.value)) continue;
      for (const field of fieldsOf(child.selectionSet, info)) names.add(field.name.value);
    }
  }
  return names;
}

/** The names of the fields selected on a connection's rows: below `edges { node }` and `nodes`. */
export function selectedOnNodes(info: GraphQLResolveInfo): Set<string> {
  const names = selectedBelow(info, ["nodes"]);
  for (const node of info.fieldNodes) {
    for (const edges of fieldsOf(node.selectionSet, info)) {
      if (edges.name.value !== "edges") continue;
      for (const edge of fieldsOf(edges.selectionSet, info)) {
        if (edge.name.value === "node") for (const field of fieldsOf(edge.selectionSet, info)) names.add(field.name.value);
      }
    }
  }
  return names;
}

/**
 * The columns that the selected fields read, by `columnsOf` (a field's columns); undefined, for
 * every column, when a field is selected that `columnsOf` does not name (__typename needs none).
 */
export function columnsFor<C extends string>(selected: Set<string>, columnsOf: Partial<Record<string, readonly C[]>>): C[] | undefined {
  const columns = new Set<C>();
  for (const field of selected) {
    if (field.startsWith("__")) continue;
    const reads = columnsOf[field];
    if (reads === undefined) return undefined;
    for (const column of reads) columns.add(column);
  }
  return [...columns];
}
