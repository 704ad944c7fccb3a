defmodule Golden.ProcessDict.PutGet do
  def handle_request(conn) do
    Process.put(:current_user, conn.user)
    render(conn)
  end

  defp render(_conn) do
    user = Process.get(:current_user)
    Process.delete(:current_user)
    "hello " <> user.name
  end
end
