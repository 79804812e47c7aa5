// The cotangent Laplacian and the lumped mass matrix of a triangle mesh.
//
// Convention (positive semi-definite): for a vertex i with neighbours j,
//   (L x)_i = 1/2 * sum_j (cot a_ij + cot b_ij) (x_i - x_j),
// where a_ij and b_ij are the angles opposite the edge ij in its one or two faces. L is the
// stiffness matrix of linear finite elements: x^T L x = integral of |grad x|^2 over the surface,
// so L is symmetric, L * 1 = 0, and L approximates -Laplace-Beltrami integrated over the vertex
// areas. It is the negative of the "cotan Laplacian" of Crane et al. (2013). Off-diagonal entries
// are negative except across edges whose opposite angles sum to more than pi (an obtuse
// configuration); they are kept as they are, which keeps L exact for linear functions.
//
// The lumped (barycentric) mass matrix M is diagonal with one third of the area of each incident
// face on vertex i, so sum(M) equals the surface area. M^{-1} L x approximates -Delta x at the
// vertices.
//
// Faces of zero area contribute nothing (their cotangents are undefined).
//
// Example:
//   const Eigen::SparseMatrix<double> L = cotan_laplacian(mesh);
//   const Eigen::VectorXd m = lumped_mass(mesh);
//   const double dirichlet_energy = x.dot(L * x);  // integral of |grad x|^2
#pragma once

#include "headspa/geometry/mesh.hpp"

#include <Eigen/Core>
#include <Eigen/SparseCore>

namespace headspa::geometry {

// The positive semi-definite cotangent Laplacian (see the file comment), n x n with n the vertex
// count, column-major, compressed, with both triangles stored. Units: dimensionless.
Eigen::SparseMatrix<double> cotan_laplacian(const TriangleMesh& mesh);

// The diagonal of the lumped barycentric mass matrix: one third of the area of every face
// incident to each vertex (m^2 when the mesh is in metres). An isolated vertex gets 0.
Eigen::VectorXd lumped_mass(const TriangleMesh& mesh);

}  // namespace headspa::geometry
