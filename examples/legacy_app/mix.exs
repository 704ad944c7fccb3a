defmodule LegacyApp.MixProject do
  use Mix.Project

  def project do
    [app: :legacy_app, version: "0.1.0", elixir: "~> 1.14", deps: []]
  end

  def application do
    [mod: {LegacyApp.Application, []}, extra_applications: [:logger]]
  end
end
