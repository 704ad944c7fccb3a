defmodule Golden.RestForOne.Three.Tree do
  use Supervisor

  def start_link(arg \\ []), do: Supervisor.start_link(__MODULE__, arg, name: __MODULE__)

  @impl true
  def init(_arg) do
    children = [
      Golden.RestForOne.Three.Store,
      Golden.RestForOne.Three.Reader,
      Golden.RestForOne.Three.Writer
    ]

    Supervisor.init(children, strategy: :rest_for_one, max_restarts: 10)
  end
end
