defmodule Golden.RestForOne.OtherStrategies do
  @strategy :one_for_one

  def computed(strategy), do: Supervisor.start_link([Golden.RestForOne.A, Golden.RestForOne.B], strategy: strategy)
  def attribute, do: Supervisor.start_link([Golden.RestForOne.A, Golden.RestForOne.B], strategy: @strategy)
  def given(children), do: Supervisor.start_link(children, strategy: :one_for_one)
  def none, do: Supervisor.start_link([], strategy: :one_for_one)

  def rebound do
    opts = [strategy: :one_for_one]
    opts = Keyword.put(opts, :name, __MODULE__)
    Supervisor.start_link([Golden.RestForOne.A, Golden.RestForOne.B], opts)
  end

  def module_form, do: Supervisor.start_link(Golden.RestForOne.Sup, strategy: :one_for_one)
end
