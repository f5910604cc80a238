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
