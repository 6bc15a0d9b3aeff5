"""Write the Cornell box OBJ meshes in meshes/ from the published measurements.

Units are millimetres.  Every quad is listed in the published vertex order and
split into two triangles (fan 0-1-2, 0-2-3), so that its front side (counter-
clockwise winding, right-hand rule) faces into the room; the light faces down.
The two blocks are built from their measured top corners: the top quad, four
side walls dropping each top edge to y = 0, and a bottom quad, every face
pointing out of the block.  The files carry positions and faces only (flat
shading, no normals or texture coordinates).

Run:  python make_meshes.py      (checks every face normal, then writes the files)
"""
import os

import numpy as np

# Walls, floor, ceiling, light: (x, y, z) per vertex, in the published order.
QUADS = {
    "floor":     [(552.8, 0, 0), (0, 0, 0), (0, 0, 559.2), (549.6, 0, 559.2)],
    "ceiling":   [(556, 548.8, 0), (556, 548.8, 559.2), (0, 548.8, 559.2), (0, 548.8, 0)],
    "back":      [(549.6, 0, 559.2), (0, 0, 559.2), (0, 548.8, 559.2), (556, 548.8, 559.2)],
    "greenwall": [(0, 0, 559.2), (0, 0, 0), (0, 548.8, 0), (0, 548.8, 559.2)],
    "redwall":   [(552.8, 0, 0), (549.6, 0, 559.2), (556, 548.8, 559.2), (556, 548.8, 0)],
    "luminaire": [(343, 548.8, 227), (343, 548.8, 332), (213, 548.8, 332), (213, 548.8, 227)],
}
# Direction each surface's front side must face (into the room; the light down).
FACING = {"floor": (0, 1, 0), "ceiling": (0, -1, 0), "back": (0, 0, -1),
          "greenwall": (1, 0, 0), "redwall": (-1, 0, 0), "luminaire": (0, -1, 0)}

# Blocks: measured top corners (x, z) and height.
BLOCKS = {
    "smallbox": (165, [(130, 65), (82, 225), (240, 272), (290, 114)]),
    "largebox": (330, [(423, 247), (265, 296), (314, 456), (472, 406)]),
}


def block_quads(height, corners):
    top = [(x, height, z) for x, z in corners]           # counter-clockwise seen from above
    quads = [top, [(x, 0, z) for x, z in reversed(corners)]]   # top up, bottom down
    for i in range(4):
        (ax, az), (bx, bz) = corners[i], corners[(i + 1) % 4]
        quads.append([(ax, height, az), (ax, 0, az), (bx, 0, bz), (bx, height, bz)])
    return quads


def triangles(quads):
    verts = np.array([v for q in quads for v in q], dtype=float)
    faces = [(4 * k + a, 4 * k + b, 4 * k + c)
             for k in range(len(quads)) for a, b, c in ((0, 1, 2), (0, 2, 3))]
    return verts, np.array(faces)


def normals(verts, faces):
    v0, v1, v2 = (verts[faces[:, i]] for i in range(3))
    n = np.cross(v1 - v0, v2 - v0)
    return n / np.linalg.norm(n, axis=1, keepdims=True)


def check(name, verts, faces):
    n = normals(verts, faces)
    if name in FACING:
        ok = n @ np.array(FACING[name], dtype=float) > 0.99
    else:  # outward: from the block's centre towards the face's centre
        centre = verts.mean(axis=0)
        ok = np.einsum("ij,ij->i", n, verts[faces].mean(axis=1) - centre) > 0
    assert ok.all(), f"{name}: faces {np.nonzero(~ok)[0]} point the wrong way"


def write_obj(path, verts, faces):
    with open(path, "w") as f:
        f.write(f"# {os.path.basename(path)}: Cornell box, millimetres\n")
        f.writelines(f"v {x:g} {y:g} {z:g}\n" for x, y, z in verts)
        f.writelines(f"f {a + 1} {b + 1} {c + 1}\n" for a, b, c in faces)


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "meshes")
    os.makedirs(out, exist_ok=True)
    meshes = {name: [q] for name, q in QUADS.items()}
    meshes.update({name: block_quads(*hc) for name, hc in BLOCKS.items()})
    for name, quads in meshes.items():
        verts, faces = triangles(quads)
        check(name, verts, faces)
        write_obj(os.path.join(out, f"cbox_{name}.obj"), verts, faces)
        print(f"cbox_{name}.obj: {len(verts)} vertices, {len(faces)} triangles, normals ok")


if __name__ == "__main__":
    main()
