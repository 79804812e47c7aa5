#include "headspa/geometry/laplacian.hpp"

#include "geometry/numerics_meshes.hpp"

#include <gtest/gtest.h>
#include <Eigen/Geometry>

#include <numbers>

namespace headspa::geometry {
namespace {

TEST(CotanLaplacian, ConstantsAreInTheNullSpaceAndTheMatrixIsSymmetric) {
  const TriangleMesh mesh = testing::icosphere(3, 0.1);
  const Eigen::SparseMatrix<double> L = cotan_laplacian(mesh);
  const Eigen::VectorXd ones = Eigen::VectorXd::Ones(L.rows());
  EXPECT_LT((L * ones).cwiseAbs().maxCoeff(), 1e-12);
  const Eigen::SparseMatrix<double> Lt = L.transpose();
  EXPECT_LT((L - Lt).cwiseAbs().sum(), 1e-12);
  // Positive semi-definite: the Dirichlet energy of a non-constant field is positive.
  Eigen::VectorXd x(L.rows());
  for (Eigen::Index i = 0; i < x.size(); ++i) x[i] = mesh.vertices[static_cast<std::size_t>(i)].z();
  EXPECT_GT(x.dot(L * x), 0.0);
  for (Eigen::Index i = 0; i < L.rows(); ++i) EXPECT_GT(L.coeff(i, i), 0.0);
}

TEST(CotanLaplacian, DirichletEnergyOfTheHeightOnASphereMatchesTheIntegral) {
  // Integral over the sphere of |grad z|^2 = (8/3) pi R^2 for f = z.
  const double radius = 1.0;
  const TriangleMesh mesh = testing::icosphere(5, radius);
  const Eigen::SparseMatrix<double> L = cotan_laplacian(mesh);
  Eigen::VectorXd z(L.rows());
  for (Eigen::Index i = 0; i < z.size(); ++i) z[i] = mesh.vertices[static_cast<std::size_t>(i)].z();
  EXPECT_NEAR(z.dot(L * z), 8.0 / 3.0 * std::numbers::pi, 0.01);
}

TEST(CotanLaplacian, ReproducesTheFivePointStencilOnAFlatGrid) {
  const int n = 8;
  const double h = 0.01;
  const TriangleMesh mesh = testing::flat_grid(n, h);
  const Eigen::SparseMatrix<double> L = cotan_laplacian(mesh);
  const Eigen::VectorXd m = lumped_mass(mesh);
  Eigen::VectorXd linear(L.rows()), quadratic(L.rows());
  for (Eigen::Index i = 0; i < L.rows(); ++i) {
    const Vec3& p = mesh.vertices[static_cast<std::size_t>(i)];
    linear[i] = 2.0 * p.x() - 3.0 * p.y() + 1.0;
    quadratic[i] = p.x() * p.x() + p.y() * p.y();
  }
  const Eigen::VectorXd l_linear = L * linear;
  const Eigen::VectorXd l_quadratic = L * quadratic;
  for (int j = 1; j < n; ++j) {
    for (int i = 1; i < n; ++i) {
      const int v = j * (n + 1) + i;
      EXPECT_NEAR(l_linear[v], 0.0, 1e-14);
      // -Laplacian of x^2 + y^2 is -4, integrated over the vertex area h^2.
      EXPECT_NEAR(l_quadratic[v], -4.0 * h * h, 1e-15);
      EXPECT_NEAR(m[v], h * h, 1e-15);
    }
  }
  // Edge weights: 1 on the axis-aligned edges, 0 on the diagonals (right angles opposite).
  EXPECT_NEAR(L.coeff(0, 1), -0.5, 1e-14);  // boundary edge: one face
  const int centre = (n / 2) * (n + 1) + n / 2;
  EXPECT_NEAR(L.coeff(centre, centre + 1), -1.0, 1e-14);
  EXPECT_NEAR(L.coeff(centre, centre + n + 2), 0.0, 1e-14);
}

TEST(LumpedMass, SumsToTheSurfaceArea) {
  const TriangleMesh mesh = testing::icosphere(4, 0.1);
  EXPECT_NEAR(lumped_mass(mesh).sum(), total_area(mesh), 1e-13 * total_area(mesh));
  const TriangleMesh grid = testing::flat_grid(5, 0.02);
  EXPECT_NEAR(lumped_mass(grid).sum(), 0.1 * 0.1, 1e-16);
  EXPECT_NEAR(total_area(mesh), 4.0 * std::numbers::pi * 0.01,
              4.0 * std::numbers::pi * 0.01 * 0.01);
}

}  // namespace
}  // namespace headspa::geometry
